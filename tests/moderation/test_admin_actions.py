"""Admin decisions never do nothing silently: one that does not apply names the item and
says why, also when the item left the list's filter meanwhile (another moderator decided
it), and every count reads right for one and for many."""

import pytest
from django.test import Client

from catalog.models import AssetStatus
from catalog.releases import release_build, release_create
from marketplace.declarations import declaration_decide
from marketplace.models import OwnershipDeclaration, Role, TermsVersion, Work
from marketplace.offers import current_terms
from marketplace.uploads import work_hold_release
from moderation.decisions import Decision, assets_decide
from moderation.flags import flags_decide
from moderation.models import Flag
from provenance.models import DatasetRelease
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/reviewitem/"
FLAGS = "/admin/moderation/flag/"
WORKS = "/admin/marketplace/work/"
DECLARATIONS = "/admin/marketplace/ownershipdeclaration/"


@pytest.fixture
def moderator(make_user):
    return make_user("mod", role=Role.MODERATOR, is_staff=True)


@pytest.fixture
def other_moderator(make_user):
    return make_user("other-mod", role=Role.MODERATOR, is_staff=True)


@pytest.fixture
def admin(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


def act(client, url: str, action: str, ids: list[int], **extra) -> str:
    """Run an admin action from a (possibly filtered) list, as the list's form posts it."""
    data = {"action": action, "_selected_action": ids, "index": 0, **extra}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def flagged(make_user, title: str, reporter: str = "eve"):
    asset = stored_asset(title=title)
    flag = Flag.objects.create(asset=asset, reporter=make_user(reporter), reason="privacy")
    return asset, flag


# --- the review queue ----------------------------------------------------------------------


def test_a_queue_item_decided_meanwhile_is_named_with_why_nothing_was_done(
    admin, make_user, other_moderator
):
    asset, _ = flagged(make_user, "Ochre study")
    # Another moderator dismisses the flag first: the asset leaves the "flagged" filter.
    assets_decide(asset_ids=[asset.pk], decision=Decision.DISMISS, moderator=other_moderator)
    page = act(admin, f"{QUEUE}?reason=flagged", "dismiss", [asset.pk])
    assert "0 assets changed; 1 unchanged (no open flag or hold to dismiss)." in page
    assert (f"Asset {asset.pk} (Ochre study): no open flag or hold to dismiss; nothing was "
            "done.") in page  # fmt: skip


def test_a_queue_item_outside_the_filter_is_still_decided_as_it_stands(
    admin, make_user, other_moderator
):
    asset, _ = flagged(make_user, "Harbour")
    assets_decide(asset_ids=[asset.pk], decision=Decision.DISMISS, moderator=other_moderator)
    page = act(admin, f"{QUEUE}?reason=flagged", "take_down", [asset.pk])
    assert "1 asset changed." in page
    asset.refresh_from_db()
    assert asset.status == AssetStatus.TAKEN_DOWN


def test_queue_counts_read_right_for_many(admin, make_user):
    first, _ = flagged(make_user, "One", "r1")
    second, _ = flagged(make_user, "Two", "r2")
    assert "2 assets changed." in act(admin, QUEUE, "take_down", [first.pk, second.pk])
    page = act(admin, f"{QUEUE}?reason=taken_down", "take_down", [first.pk, second.pk])
    assert "0 assets changed; 2 unchanged (already taken down)." in page


# --- flags ---------------------------------------------------------------------------------


def test_a_flag_decided_meanwhile_is_named_with_its_state(admin, make_user, other_moderator):
    asset, flag = flagged(make_user, "Quiet orchard")
    flags_decide(flag_ids=[flag.pk], action="dismiss", moderator=other_moderator)
    page = act(admin, f"{FLAGS}?state__exact=open", "take_down", [flag.pk])
    assert "0 flags decided; 0 assets taken down." in page
    assert f"Flag {flag.pk} (asset {asset.pk}): already dismissed; nothing was done." in page
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLISHED


def test_flag_counts_read_right_for_one_and_many(admin, make_user):
    _, one = flagged(make_user, "A", "r1")
    _, two = flagged(make_user, "B", "r2")
    _, three = flagged(make_user, "C", "r3")
    assert "1 flag decided." in act(admin, FLAGS, "dismiss", [one.pk])
    page = act(admin, FLAGS, "take_down", [two.pk, three.pk])
    assert "2 flags decided; 2 assets taken down." in page


def test_restoring_an_asset_that_is_not_down_says_so(admin, make_user):
    asset, flag = flagged(make_user, "Still up")
    page = act(admin, FLAGS, "restore", [flag.pk])
    assert "0 assets restored." in page
    assert f"Asset {asset.pk}: not taken down; there was nothing to restore." in page


# --- works and declarations ----------------------------------------------------------------


def held_work(make_user, owner: str, title: str) -> Work:
    asset = stored_asset(title=title, source="opt_in", license="opt-in",
                         status=AssetStatus.CANDIDATE)  # fmt: skip
    owner = make_user(owner, role=Role.RIGHTS_HOLDER)
    return Work.objects.create(asset=asset, owner=owner, hold="matches_base_set")


def test_a_hold_released_meanwhile_is_named(admin, make_user, other_moderator):
    work = held_work(make_user, "ada", "Dawn")
    work_hold_release(work_id=work.pk, moderator=other_moderator)
    page = act(admin, f"{WORKS}?hold__exact=matches_base_set", "release_hold", [work.pk])
    assert f"Work {work.pk} (Dawn): Work {work.pk} is not held; nothing was done." in page


def test_hold_counts_read_right(admin, make_user):
    one, two = held_work(make_user, "ada", "One"), held_work(make_user, "bo", "Two")
    assert "2 holds released." in act(admin, WORKS, "release_hold", [one.pk, two.pk])
    three = held_work(make_user, "cy", "Three")
    assert "1 hold released." in act(admin, WORKS, "release_hold", [three.pk])


def test_a_declaration_decided_meanwhile_is_named(admin, make_user, other_moderator):
    work = held_work(make_user, "ada", "Dusk")
    declaration = OwnershipDeclaration.objects.create(work=work, statement="Mine.")
    declaration_decide(declaration_id=declaration.pk, accept=True, moderator=other_moderator)
    page = act(admin, f"{DECLARATIONS}?state__exact=pending", "reject", [declaration.pk],
               note="Not yours.")  # fmt: skip
    assert (f"Declaration {declaration.pk} (work {work.pk}, Dusk): Declaration "
            f"{declaration.pk} was already accepted; nothing was done.") in page  # fmt: skip
    declaration.refresh_from_db()
    assert declaration.state == OwnershipDeclaration.State.ACCEPTED


def test_a_rejection_without_a_note_says_why_nothing_was_done(admin, make_user):
    work = held_work(make_user, "ada", "Noon")
    declaration = OwnershipDeclaration.objects.create(work=work, statement="Mine.")
    page = act(admin, DECLARATIONS, "reject", [declaration.pk])
    assert f"Declaration {declaration.pk} (work {work.pk}, Noon): Say why" in page
    assert "nothing was done." in page
    assert "1 declaration accepted." in act(admin, DECLARATIONS, "accept", [declaration.pk])


# --- releases and terms (staff) ------------------------------------------------------------


@pytest.fixture
def staff(django_user_model) -> Client:
    client = Client()
    client.force_login(
        django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-long-enough")
    )
    return client


def test_a_release_deleted_or_built_meanwhile_is_named(staff, settings):
    settings.PUBLIC_BASE_URL = "https://market.example.org"
    gone = DatasetRelease.objects.create(name="gone", version="1", state="failed")
    built = release_create(name="built", version="1")
    DatasetRelease.objects.filter(pk=built.pk).update(state="failed")
    gone_pk = gone.pk
    gone.delete()
    stored_asset()
    release_build(built.pk, actor="another moderator")  # out of the "failed" filter now
    page = act(staff, "/admin/provenance/datasetrelease/?state__exact=failed", "build",
               [gone_pk, built.pk])  # fmt: skip
    assert f"Dataset release {gone_pk}: it no longer exists; nothing was done." in page
    assert "built 1" in page and "is frozen" in page


def test_making_the_current_terms_current_again_says_so(staff):
    current = current_terms()
    page = act(staff, "/admin/marketplace/termsversion/", "make_current", [current.pk])
    assert f"Version {current.version} is the current one already." in page
    newer = TermsVersion.objects.create(version="2", title="Two", text="Second terms.")
    page = act(staff, "/admin/marketplace/termsversion/", "make_current", [newer.pk])
    assert "Version 2 is now current." in page
    assert current_terms() == newer
    page = act(staff, "/admin/marketplace/termsversion/", "make_current",
               [newer.pk, current.pk])  # fmt: skip
    assert "Select exactly one version (2 selected); nothing was changed." in page
