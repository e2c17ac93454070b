"""An artist's whole journey in a real browser (Chromium through Playwright) against a live
server on the test PostgreSQL: every page is checked with axe-core at desktop and phone
width, and screenshots are kept under var/screenshots/."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect
from rest_framework.test import APIClient

from catalog.models import Asset, AssetStatus
from marketplace.accounts import role_groups_sync
from marketplace.models import OwnershipDeclaration, Role, User, Work
from tests.billing.conftest import fund
from tests.catalog.images import encode, jpeg, picture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _files(tmp_path):
    paths = []
    for name, data in (
        ("harbour-at-dawn.jpg", jpeg(11, size=(640, 480))),
        ("quiet_field.jpg", jpeg(12, size=(480, 640))),
        ("party.gif", encode(picture(13), "GIF")),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def _moderator_accepts(site, browser) -> None:
    """A moderator signs in to the admin in their own browser and accepts the declaration."""
    role_groups_sync()
    moderator = User.objects.create_user(
        "mona", "mona@example.org", "mona-long-pass", is_staff=True
    )
    moderator.groups.add(*role_groups(Role.MODERATOR))
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/admin/login/")
    page.fill("#id_username", "mona")
    page.fill("#id_password", "mona-long-pass")
    page.click("input[type=submit]")
    page.goto(site.url + "/admin/marketplace/ownershipdeclaration/?state__exact=pending")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "accept")
    page.fill("input[name=note]", "Sketches match the upload.")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("accepted")
    context.close()


def role_groups(role: Role):
    from marketplace.accounts import role_group

    return [role_group(role)]


def _buyer_downloads(asset_id: int) -> None:
    buyer = User.objects.create_user("bea", "bea@example.org", "bea-long-pass")
    buyer.groups.add(*role_groups(Role.BUYER))
    fund(buyer, 5_000_000)
    client = APIClient()
    client.force_authenticate(buyer)
    response = client.post(
        "/api/v1/downloads/",
        {"asset_ids": [asset_id], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_artist_signs_up_uploads_offers_declares_and_sees_a_download(site, browser, tmp_path):
    page = site.go("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("consent")
    site.check("01-home")

    # Sign up as a rights holder: the empty list says what to do first.
    page.get_by_role("link", name="Create an account").first.click()
    site.check("02-sign-up")
    page.get_by_role("radio", name=re.compile("Rights holder")).check()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill("a painter's long passphrase")
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="My works")).to_be_visible()
    expect(page.get_by_text("You have not uploaded any works yet.")).to_be_visible()
    site.check("03-works-empty")

    # Upload three files: the GIF is refused, with its reason, and nothing is stored.
    page.get_by_role("link", name="Upload works").first.click()
    harbour, field, gif = _files(tmp_path)
    page.set_input_files("#file-picker", [harbour, field, gif])
    expect(page.locator(".upload-item")).to_have_count(3)
    page.get_by_label("Title").first.fill("Harbour at dawn")
    page.get_by_label("Tags, separated by commas").first.fill("sea, boats")
    site.check("04-upload-chosen")
    page.get_by_role("button", name="Upload", exact=True).click()
    refused = page.locator(".upload-item.refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("party.gif")
    expect(refused).to_contain_text("GIF")
    expect(page.locator("#upload-error")).to_contain_text("Nothing was stored")
    assert not Work.objects.exists()
    site.check("05-upload-refused")

    # Remove it and send the other two again.
    page.get_by_role("button", name="Remove party.gif").click()
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("heading", name="My works")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("2 works uploaded")
    expect(page.locator(".work-card")).to_have_count(2)
    site.check("06-works-two")
    assert Work.objects.filter(owner__username="ada").count() == 2

    # Offer one: the terms are there in full, the buyer's price appears while typing.
    page.get_by_role("link", name="Harbour at dawn").click()
    expect(page.locator(".status")).to_have_text("Draft")
    site.check("07-work-draft")
    page.get_by_role("link", name="Offer it").click()
    expect(page.locator(".terms")).to_contain_text("Training License, version 2026-11")
    # Per use: allowed or not, and its own price; what a buyer pays appears while typing.
    page.get_by_role("checkbox", name="Allow AI training (not generative)").check()
    page.get_by_label("Your price for AI training (not generative) (USD)").fill("0.05")
    expect(page.locator("#price-preview-ai_training")).to_contain_text("$0.051")
    page.get_by_role("checkbox", name="Allow generative AI training").check()
    page.get_by_label("Your price for generative AI training (USD)").fill("0.2")
    expect(page.locator("#price-preview-ai_generative_training")).to_contain_text("$0.201")
    page.get_by_role("checkbox", name=re.compile("Commercial use")).check()
    page.get_by_role("checkbox", name=re.compile("I have read the training license")).check()
    site.check("08-offer")
    page.get_by_role("button", name="Accept the license and offer").click()
    expect(page.locator(".messages")).to_contain_text("Offered")
    expect(page.locator(".status")).to_have_text("Offered")
    offer_facts = page.locator("#offer-h + dl")
    expect(offer_facts).to_contain_text("Generative AI training")
    expect(offer_facts).to_contain_text("$0.20 to you; a buyer pays $0.201")
    expect(offer_facts).to_contain_text("Not allowed")
    expect(offer_facts).to_contain_text("Data mining, AI inference")

    # Declare ownership with an evidence file.
    page.get_by_role("link", name="Declare ownership").click()
    page.get_by_label("How do you own this work?").fill("I painted it in 2021.")
    sketch = tmp_path / "sketch.txt"
    sketch.write_text("pencil sketch, dated")
    page.set_input_files("input[name=evidence]", str(sketch))
    site.check("09-declare")
    page.get_by_role("button", name="Send the declaration").click()
    expect(page.locator(".messages")).to_contain_text("A moderator reviews it")
    expect(page.get_by_text("Waiting for review")).to_be_visible()

    # A moderator accepts it in the admin: the work is published.
    _moderator_accepts(site, browser)
    assert OwnershipDeclaration.objects.get().state == "accepted"
    page.reload()
    expect(page.locator(".status")).to_have_text("Published")
    site.check("10-work-published")

    # A buyer licenses it through the API; the dashboard shows the download.
    work = Work.objects.get(asset__title="Harbour at dawn")
    assert Asset.objects.get(pk=work.asset_id).status == AssetStatus.PUBLISHED
    _buyer_downloads(work.asset_id)
    page.get_by_role("link", name="Earnings").click()
    expect(page.locator(".stat").filter(has_text="Downloads")).to_contain_text("1")
    expect(page.locator(".stat").filter(has_text="Earned")).to_contain_text("$0.05")
    expect(page.locator("#purposes-title + svg")).to_contain_text("Research")
    site.check("11-earnings")
    page.get_by_role("link", name="Usage history").click()
    expect(page.locator("#history")).to_contain_text("Download: licensed")
    site.check("12-history")
    page.get_by_role("link", name="Payouts").first.click()
    expect(page.get_by_role("heading", name="Held back")).to_be_visible()
    site.check("13-payouts")
    assert mail.outbox == []  # nothing went wrong that the artist had to be told of


def test_password_reset_by_email(site, make_user):
    make_user("ada", role=Role.RIGHTS_HOLDER, email="ada@example.org")
    page = site.go("/sign-in/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    site.check("01-sent")
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/password-reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_label("New password:", exact=True).fill("another long passphrase")
    page.get_by_label("New password confirmation").fill("another long passphrase")
    site.check("02-new-password")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("another long passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My works")).to_be_visible()
