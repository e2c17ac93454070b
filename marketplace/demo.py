"""Demo data: three users with known passwords and a few dozen real base-set records.

Only for the demo (DEBUG on): known passwords must never exist on a real deployment."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from catalog.models import AssetStatus
from catalog.services import asset_upsert
from marketplace.models import Role, User
from marketplace.services import role_group

BASE_SET_FILE = Path(__file__).resolve().parent.parent / "catalog" / "demo" / "base_set.json"
ASSET_FIELDS = (
    "landing_url",
    "original_url",
    "title",
    "creator",
    "creator_url",
    "description",
    "creation_date",
    "width",
    "height",
    "mime_type",
    "license",
)


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

    created = updated = 0
    for record in json.loads(base_set_file.read_text()):
        _, was_created = asset_upsert(
            source=record["source"],
            source_record_id=record["source_record_id"],
            status=AssetStatus.PUBLISHED,
            **{field: record[field] for field in ASSET_FIELDS},
        )
        created += was_created
        updated += not was_created
    return DemoLoadResult(DEMO_USERS, created, updated)
