"""Rights holders are told, on the site and by email, when a moderator takes their work
down, rejects their declaration or releases a hold; each notice links to the work."""

import pytest
from django.core import mail

from catalog.services import asset_take_down
from marketplace.declarations import declaration_decide
from marketplace.models import Notification, OwnershipDeclaration, Role, Work
from marketplace.models.works import HoldReason
from marketplace.uploads import work_hold_release
from tests.marketplace.factories import opt_in_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_user):
    return make_user("mona", role=Role.MODERATOR, is_staff=True)


def test_a_takedown_of_your_work_is_a_notice_and_an_email(
    artist_client, rights_holder, django_capture_on_commit_callbacks
):
    work = opt_in_work(rights_holder)
    with django_capture_on_commit_callbacks(execute=True):
        asset_take_down(asset_id=work.asset_id, actor="mona", reason="infringing")
    with django_capture_on_commit_callbacks(execute=True):  # told once, however often
        asset_take_down(asset_id=work.asset_id, actor="mona", reason="infringing")
    [notice] = Notification.objects.filter(user=rights_holder)
    assert notice.kind == "work_taken_down"
    [email] = mail.outbox
    assert email.to == ["ada@example.org"]
    assert "was taken down" in email.subject
    page = artist_client.get("/notifications/").content.decode()
    assert "Your work was taken down" in page
    assert f'href="/works/{work.pk}/"' in page
    assert '<span class="badge">1' in page


def test_a_rejected_declaration_tells_the_note(
    artist_client, rights_holder, moderator, django_capture_on_commit_callbacks
):
    work = opt_in_work(rights_holder, offered=False)
    declaration = OwnershipDeclaration.objects.get(work=work)
    OwnershipDeclaration.objects.filter(pk=declaration.pk).update(state="pending")
    with django_capture_on_commit_callbacks(execute=True):
        declaration_decide(
            declaration_id=declaration.pk, accept=False, moderator=moderator, note="Not yours."
        )
    [notice] = Notification.objects.filter(user=rights_holder)
    assert notice.kind == "declaration_rejected"
    assert "Not yours." in notice.message
    assert "Not yours." in mail.outbox[0].body
    assert b"Not yours." in artist_client.get("/notifications/").content


def test_a_released_hold_is_told(artist_client, rights_holder, moderator):
    work = opt_in_work(rights_holder)
    Work.objects.filter(pk=work.pk).update(hold=HoldReason.MATCHES_OTHER_OWNER)
    work_hold_release(work_id=work.pk, moderator=moderator)
    [notice] = Notification.objects.filter(user=rights_holder)
    assert notice.kind == "hold_released"
    assert f"/works/{work.pk}/".encode() in artist_client.get("/notifications/").content


def test_marking_notices_read(artist_client, rights_holder):
    first, second = (
        Notification.objects.create(user=rights_holder, kind="hold_released", message=m)
        for m in ("one", "two")
    )
    artist_client.post("/notifications/read/", {"id": first.pk})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at and not second.read_at
    artist_client.post("/notifications/read/")
    second.refresh_from_db()
    assert second.read_at
    assert b'class="badge"' not in artist_client.get("/notifications/").content


def test_no_notices_yet_says_what_will_come(artist_client):
    assert b"You will be told here (and by email)" in artist_client.get("/notifications/").content
