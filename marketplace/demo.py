"""Demo data: three users with known passwords, a few dozen real base-set records, two
works offered by the demo artist and a sandbox-funded wallet for the demo buyer.

Only for the demo (DEBUG on): known passwords must never exist on a real deployment."""

import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from PIL import Image, ImageDraw

from billing import sandbox
from billing.selectors import wallet_balance
from billing.topups import top_up_start
from catalog.connectors.base import Candidate
from catalog.ingest import ingest_candidates
from catalog.models import Asset, AssetStatus
from catalog.reports import RunReport
from catalog.search_documents import search_documents_refresh
from catalog.uploads import WorkText
from marketplace.declarations import declaration_make
from marketplace.models import RightsHolderProfile, Role, User, Work
from marketplace.offers import current_terms, offer_set
from marketplace.services import role_group
from marketplace.uploads import IncomingFile, works_upload
from moderation.flags import flag_create
from moderation.models import FlagReason
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
    buyer = User.objects.get(username="demo-buyer")
    _demo_marketplace(artist=User.objects.get(username="demo-artist"), buyer=buyer)
    if ids:  # something in the moderators' review queue
        flag_create(reporter=buyer, asset_id=min(ids), reason=FlagReason.OTHER,
                    description="Demo flag: is the date in this record right?")  # fmt: skip
    return DemoLoadResult(DEMO_USERS, report.created, len(records) - report.created)


DEMO_WORKS = (
    ("Study in circles", "Overlapping discs in warm colours.", ("abstract", "circles")),
    ("Night lines", "Diagonal strokes on a dark ground.", ("abstract", "lines")),
)


def _demo_picture(seed: int) -> bytes:
    """An abstract picture drawn here, so the demo artist owns it outright."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    image = Image.new("RGB", (640, 480), (20, 24, 40) if seed else (250, 236, 210))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, size = rng.randrange(640), rng.randrange(480), rng.randrange(20, 160)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if seed:
            draw.line([x, y, x + size, y - size], fill=colour, width=rng.randrange(2, 9))
        else:
            draw.ellipse([x, y, x + size, y + size], fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _demo_marketplace(*, artist: User, buyer: User) -> None:
    """The demo artist offers two works of their own; the demo buyer's wallet holds
    USD 25 from a sandbox top-up. Both go through the real services."""
    RightsHolderProfile.objects.update_or_create(
        user=artist, defaults={"display_name": "Demo Artist", "trusted": True}
    )
    if not Work.objects.filter(owner=artist).exists():
        files = [
            IncomingFile(
                field=f"files.{n}",
                filename=f"demo-work-{n}.png",
                stream=io.BytesIO(_demo_picture(n)),
                text=WorkText(title=title, description=description, tags=tags),
            )
            for n, (title, description, tags) in enumerate(DEMO_WORKS)
        ]
        for work in works_upload(owner=artist, files=files):
            declaration_make(owner=artist, work_id=work.pk, statement="I made it.", evidence=[])
            offer_set(
                owner=artist, work_id=work.pk, price_micros=50_000, allow_research=True,
                allow_commercial=True, terms_version=current_terms().version,
            )  # fmt: skip
    if wallet_balance(buyer) == 0:
        top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
        sandbox.checkout_complete(user=buyer, session_id=top_up.checkout_session_id)
