from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from catalog.releases import (
    NoSiteAddress,
    release_base_url,
    release_build,
    release_for_build,
    release_size,
)
from common.errors import DomainError
from common.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Build a dataset release here and now: the published assets matching the search "
        "filters, in a Parquet file in the PD12M layout, with its counts and SHA-256. A "
        "release left queued or failed is built again; a built one is frozen and refused."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version is the release's; Django's own (its version number) gives way.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("name", help="The release's name, e.g. base-set-cc0.")
        parser.add_argument(
            "--version", required=True, help="Its version, unique per name, e.g. 2026.11."
        )
        parser.add_argument(
            "--filter",
            action="append",
            dest="filters",
            metavar="KEY=VALUE",
            help="A search filter as GET /api/v1/assets/ takes it (license=cc0-1.0, "
            "source=nypl,europeana, max_nsfw=0.2 ...); repeat for more. None: every "
            "published asset.",
        )
        parser.add_argument("--description", default="", help="What the release is for.")
        parser.add_argument(
            "--base-url",
            default="",
            help="The site's address (https://market.example.org) that each row's `url` "
            "starts with, when PUBLIC_BASE_URL is not set.",
        )

    def handle(self, *args, name, version, filters, description, base_url, **options):
        try:
            base_url = release_base_url(base_url)
        except NoSiteAddress as error:
            raise CommandError(str(error)) from error
        try:
            release = release_for_build(
                name=name, version=version, filters=_parse(filters), description=description,
                created_by="command build_release",
            )  # fmt: skip
            total = release_size(release)
        except DomainError as error:
            raise CommandError(_explained(error)) from error
        with progress_bar(total=total, unit="assets", description="release") as bar:
            release = release_build(
                release.pk, actor="command build_release", base_url=base_url,
                progress=bar.update,
            )  # fmt: skip
        if release.state != release.State.DONE:
            raise CommandError(f"Release {release} is being built by another process.")
        counts = release.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Release {release} (id {release.pk}): "
                f"{counts['total']:,} {ngettext('asset', 'assets', counts['total'])}; "
                f"by source: {_listed(counts['by_source'])}; "
                f"by license: {_listed(counts['by_license'])}."
            )
        )
        self.stdout.write(f"File: {release.file_key}\nSHA-256: {release.sha256}")


def _parse(pairs: list[str] | None) -> dict | None:
    """KEY=VALUE pairs as the search's parameters; a key given twice is a list."""
    if not pairs:
        return None
    filters: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--filter takes KEY=VALUE, e.g. license=cc0-1.0; got {pair!r}.")
        key = key.strip()
        if key in filters:
            previous = filters[key]
            filters[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            filters[key] = value
    return filters


def _explained(error: DomainError) -> str:
    if len(error.fields) < 2:
        return error.message
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.fields.items())


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {n:,}" for key, n in counts.items()) or "none"
