"""Demo data: three users with known passwords and a few dozen real base-set records.

Only for the demo (DEBUG on): known passwords must never exist on a real deployment."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from catalog.connectors.base import Candidate
from catalog.ingest import ingest_candidates
from catalog.models import Asset, AssetStatus
from catalog.reports import RunReport
from catalog.search_documents import search_documents_refresh
from marketplace.models import Role, User
from marketplace.services import role_group
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

BASE_SET_FILE = Path(__file__).resolve().parent.parent / "catalog" / "demo" / "base_set.json"
CANDIDATE_FIELDS = (
    "source", "source_record_id", "landing_url", "original_url", "title", "creator",
    "creator_url", "description", "creation_date", "width", "height", "mime_type", "license",
    "evidence",
)  # fmt: skip


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: Role


DEMO_USERS = (
    DemoUser("demo-artist", "demo-artist-pass", Role.RIGHTS_HOLDER),
    DemoUser("demo-buyer", "demo-buyer-pass", Role.BUYER),
    DemoUser("demo-moderator", "demo-moderator-pass", Role.MODERATOR),
)


@dataclass(frozen=True)
class DemoLoadResult:
    users: tuple[DemoUser, ...]
    assets_created: int
    assets_updated: int


@transaction.atomic
def demo_load(*, base_set_file: Path = BASE_SET_FILE) -> DemoLoadResult:
    """Create or reset the demo users and upsert the demo base set. Safe to run again."""
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=demo.username, defaults={"email": f"{demo.username}@example.org"}
        )
        user.set_password(demo.password)
        user.is_staff = demo.role == Role.MODERATOR
        user.save()
        user.groups.add(role_group(demo.role))

    # The records go through the real ingest (license evidence, provenance, events) ...
    records = json.loads(base_set_file.read_text())
    report = RunReport(kind="ingest", source="demo")
    by_source: dict[str, list[Candidate]] = {}
    for record in records:
        candidate = Candidate(**{field: record[field] for field in CANDIDATE_FIELDS})
        by_source.setdefault(candidate.source, []).append(candidate)
    for candidates in by_source.values():
        ingest_candidates(candidates, report=report, actor="load_demo")
    report.save(finished=True)
    # ... but the demo has no network to clone originals, so it publishes them as they are.
    unpublished = Asset.objects.filter(
        source__in=by_source, status__in=[AssetStatus.CANDIDATE, AssetStatus.EMBARGOED]
    )
    ids = list(unpublished.values_list("pk", flat=True))
    note = {"note": "demo data: published without cloning the original"}
    events_append(
        ProvenanceEvent(kind=EventKind.PUBLISHED, actor="load_demo", asset_id=pk, data=note)
        for pk in ids
    )
    unpublished.update(status=AssetStatus.PUBLISHED, embargo_until=None)
    search_documents_refresh(ids)
    return DemoLoadResult(DEMO_USERS, report.created, len(records) - report.created)
