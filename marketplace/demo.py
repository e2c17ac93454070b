"""Demo data: three users with known passwords, a base set of real public-domain and CC0
images that ship with the project, works the demo artist offers, and a sandbox-funded
wallet for the demo buyer.

The base set goes through the production pipeline: the records are decided by the license
policy and ingested, then a loopback HTTP server started here serves the image files to
the real cloning step (download, checks, storage, thumbnails, dedupe), the classifiers
score them and the ones that pass publish. Records whose license does not hold up are
rejected with their reason, as a source's would be.

Only for the demo (DEBUG on): known passwords must never exist on a real deployment."""

import contextlib
import functools
import io
import json
import math
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from PIL import Image, ImageDraw

from billing.selectors import wallet_balance
from billing.services import checkout_complete, top_up_start
from catalog.models import OPT_IN_SOURCE, Asset, AssetStatus, CloneState
from catalog.selectors import WorkText, normalize_license
from catalog.services import (
    Candidate,
    RunReport,
    clone_pending,
    ingest_candidates,
    release_build_now,
)
from marketplace.accounts import role_group
from marketplace.declarations import declaration_make
from marketplace.downloads import downloads_grant
from marketplace.models import (
    DownloadGrant,
    Purpose,
    RightsHolderProfile,
    Role,
    Use,
    User,
    Work,
)
from marketplace.offers import current_terms, offer_set
from marketplace.uploads import IncomingFile, works_upload
from moderation.models import FlagReason
from moderation.services import flag_create
from provenance.models import DatasetRelease
from provenance.services import events_seal

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "catalog" / "demo" / "samples"
SAMPLES_FILE = SAMPLES_DIR / "samples.json"
SAMPLES_SOURCE = "sample_images"
ACTOR = "load_demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: Role
    superuser: bool = False  # sees everything in the admin, billing included


DEMO_USERS = (
    DemoUser("demo-artist", "demo-artist-pass", Role.RIGHTS_HOLDER),
    DemoUser("demo-buyer", "demo-buyer-pass", Role.BUYER),
    DemoUser("demo-moderator", "demo-moderator-pass", Role.MODERATOR),
    DemoUser("demo-admin", "demo-admin-pass", Role.MODERATOR, superuser=True),
)


@dataclass(frozen=True)
class DemoLoadResult:
    users: tuple[DemoUser, ...]
    ingest: RunReport | None  # None when every sample record was already in
    clone: RunReport | None
    published: int  # sample images published (stored, scored, under the hold threshold)


def demo_load(*, samples_file: Path = SAMPLES_FILE) -> DemoLoadResult:
    """Create or reset the demo users, bring the sample base set in and publish what passes,
    and set up the demo marketplace. Safe to run again: what is in stays as it is."""
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=demo.username, defaults={"email": f"{demo.username}@example.org"}
        )
        user.set_password(demo.password)
        user.is_staff = demo.role == Role.MODERATOR
        user.is_superuser = demo.superuser
        user.save()
        user.groups.add(role_group(demo.role))

    ingest, clone = _sample_base_set(samples_file)
    buyer = User.objects.get(username="demo-buyer")
    _demo_marketplace(artist=User.objects.get(username="demo-artist"), buyer=buyer)
    first = Asset.objects.filter(source=SAMPLES_SOURCE, clone_state=CloneState.DONE).first()
    if first and ingest:  # something in the moderators' review queue, once
        flag_create(reporter=buyer, asset_id=first.pk, reason=FlagReason.OTHER,
                    description="Demo flag: is the creator in this record right?")  # fmt: skip
    published = Asset.objects.filter(source=SAMPLES_SOURCE, status=AssetStatus.PUBLISHED)
    _demo_release()
    # What beat's sealer does every minute, at once: the demo's history shows its seals.
    events_seal()
    return DemoLoadResult(DEMO_USERS, ingest, clone, published.count())


DEMO_RELEASE = {
    "name": "demo-base-set",
    "version": "1",
    "filters": {"license": ["pdm-1.0", "cc0-1.0"], "max_nsfw": 0.2},
    "description": "The demo's public-domain and CC0 sample images with a low nudity score.",
}


def _demo_release() -> None:
    """One dataset release for the releases page, built once from the published samples."""
    if DatasetRelease.objects.filter(name=DEMO_RELEASE["name"], state="done").exists():
        return
    release_build_now(**DEMO_RELEASE, actor=ACTOR,
                      base_url=settings.PUBLIC_BASE_URL or "http://127.0.0.1:8000")  # fmt: skip


def _sample_base_set(samples_file: Path) -> tuple[RunReport | None, RunReport | None]:
    """Ingest the sample records not stored yet, then clone them from a loopback server."""
    records = json.loads(samples_file.read_text())
    stored = set(
        Asset.objects.filter(source=SAMPLES_SOURCE)
        .exclude(clone_state__in=[CloneState.PENDING, CloneState.FAILED, CloneState.GAVE_UP])
        .values_list("source_record_id", flat=True)
    )
    rejected = set(
        Asset.objects.filter(source=SAMPLES_SOURCE, original_url="").values_list(
            "source_record_id", flat=True
        )
    )
    todo = [r for r in records if r["source_record_id"] not in stored | rejected]
    if not todo:
        return None, None
    with _loopback_server(samples_file.parent) as base_url:
        report = RunReport(kind="ingest", source=SAMPLES_SOURCE)
        ingest_candidates([_candidate(r, base_url) for r in todo], report=report, actor=ACTOR)
        report.save(finished=True)
        return report, clone_pending(actor=ACTOR)


def _candidate(record: dict, base_url: str) -> Candidate:
    """A sample record as a source connector would hand it over: its license statement
    decided by the one license policy, its evidence kept verbatim."""
    decision = normalize_license(record["evidence"]["license"])
    return Candidate(
        source=SAMPLES_SOURCE,
        source_record_id=record["source_record_id"],
        original_url=f"{base_url}/{record['file']}" if record["file"] else "",
        landing_url=record["landing_url"],
        title=record["title"],
        creator=record["creator"],
        description=record["description"],
        creation_date=record["creation_date"],
        institution=record["institution"],
        tags=record["tags"],
        license=decision.code,
        rejection=decision.reason,
        evidence=record["evidence"],
    )


@contextlib.contextmanager
def _loopback_server(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 (a free port) while the block runs."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the demo's output is for people
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="demo-samples", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class DemoWork:
    title: str
    description: str
    tags: tuple[str, ...]
    style: str
    price_micros: int | None  # None: uploaded, not offered yet (a draft)


DEMO_WORKS = (
    DemoWork("Study in circles", "Overlapping discs in warm colours.", ("abstract", "circles"),
             "circles", 50_000),
    DemoWork("Night lines", "Diagonal strokes on a dark ground.", ("abstract", "lines"),
             "lines", 80_000),
    DemoWork("Quiet grid", "Soft squares in a loose grid.", ("abstract", "grid", "squares"),
             "squares", 20_000),
    DemoWork("Tide", "Layered waves in blues and greens.", ("abstract", "waves", "sea"),
             "waves", 100_000),
    DemoWork("Sketch for a poster", "Dots scattered on a pale ground; not offered yet.",
             ("abstract", "dots"), "dots", None),
)  # fmt: skip


# What the demo buyer has licensed already: the artist's dashboard has something to show.
DEMO_SALES = ("Tide", "Night lines")


def _demo_picture(style: str, seed: int) -> bytes:
    """An abstract picture drawn here, so the demo artist owns it outright."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    dark = style in ("lines", "waves")
    image = Image.new("RGB", (640, 480), (20, 24, 40) if dark else (250, 236, 210))
    draw = ImageDraw.Draw(image)
    if style == "waves":
        for band in range(12):
            colour = (20, 90 + band * 12, 120 + band * 10)
            phase, y0 = rng.random() * 6.28, 40 + band * 38
            points = [(x, y0 + 18 * math.sin(phase + x / 40)) for x in range(0, 641, 8)]
            draw.line(points, fill=colour, width=10)
    for _ in range(40 if style != "waves" else 0):
        x, y, size = rng.randrange(640), rng.randrange(480), rng.randrange(20, 160)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if style == "lines":
            draw.line([x, y, x + size, y - size], fill=colour, width=rng.randrange(2, 9))
        elif style == "squares":
            draw.rectangle([x - x % 80, y - y % 80, x - x % 80 + 70, y - y % 80 + 70], fill=colour)
        elif style == "dots":
            draw.ellipse([x, y, x + 12, y + 12], fill=colour)
        else:
            draw.ellipse([x, y, x + size, y + size], fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _demo_uses(price_micros: int) -> dict[str, int]:
    """The demo artist allows mining and training at their price, generative training at
    twice that, and no inference."""
    return {Use.DATA_MINING: price_micros, Use.AI_GENERATIVE_TRAINING: 2 * price_micros,
            Use.AI_TRAINING: price_micros}  # fmt: skip


def _demo_marketplace(*, artist: User, buyer: User) -> None:
    """The demo artist offers four works of their own at different prices and keeps one
    as a draft; the demo buyer's wallet holds USD 25 from a sandbox top-up. All through
    the real services."""
    RightsHolderProfile.objects.update_or_create(
        user=artist, defaults={"display_name": "Demo Artist", "trusted": True}
    )
    if not Work.objects.filter(owner=artist).exists():
        files = [
            IncomingFile(
                field=f"files.{n}",
                filename=f"demo-work-{n}.png",
                stream=io.BytesIO(_demo_picture(work.style, n)),
                text=WorkText(title=work.title, description=work.description, tags=work.tags),
            )
            for n, work in enumerate(DEMO_WORKS)
        ]
        for uploaded, demo in zip(works_upload(owner=artist, files=files), DEMO_WORKS,
                                  strict=True):  # fmt: skip
            if demo.price_micros is None:
                continue
            declaration_make(owner=artist, work_id=uploaded.pk, statement="I made it.",
                             evidence=[])  # fmt: skip
            offer_set(
                owner=artist, work_id=uploaded.pk, uses=_demo_uses(demo.price_micros),
                allow_research=True, allow_commercial=True,
                terms_version=current_terms().version,
            )  # fmt: skip
    if wallet_balance(buyer) == 0:
        top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
        checkout_complete(user=buyer, session_id=top_up.checkout_session_id)
    if not DownloadGrant.objects.filter(buyer=buyer).exists():
        # Something on the artist's dashboard: two works licensed, with a base-set image.
        licensed = Asset.objects.filter(
            Q(source=OPT_IN_SOURCE, title__in=DEMO_SALES) | Q(source_record_id="skimage-coffee"),
            status=AssetStatus.PUBLISHED,
        )
        downloads_grant(
            buyer=buyer,
            asset_ids=list(licensed.values_list("pk", flat=True)),
            purpose=Purpose.RESEARCH,
            use=Use.AI_TRAINING,
            purpose_note="Demo: a first training run.",
        )
