"""The public catalog and a buyer's journey in a real browser (Chromium through Playwright)
against a live server on the test PostgreSQL: every page is checked with axe-core at
desktop and phone width, and screenshots are kept under var/screenshots/."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from billing.ledger import wallet_of
from catalog.models import Asset, AssetStatus, IngestRun, License
from catalog.search_documents import search_documents_refresh
from marketplace.accounts import role_group, role_groups_sync
from marketplace.downloads import downloads_grant
from marketplace.models import (
    Collection,
    CollectionItem,
    ManifestExport,
    OfferFile,
    Role,
    User,
)
from provenance.models import DatasetRelease, EventKind, ProvenanceEvent, ProvenanceRecord
from provenance.services import events_append, events_seal
from tests.catalog.consent.files import picture_data
from tests.catalog.images import jpeg
from tests.marketplace.factories import opt_in_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CATALOG = [
    # title, creator, license, source, year, nudity, faces
    ("Harbour at dawn", "Jane Doe", License.CC0, "cleveland_museum", 1890, 0.01, 0),
    ("Harbour in fog", "Jane Doe", License.CC0, "cleveland_museum", 1893, 0.02, 0),
    ("Harbour festival", "Ernest Vale", License.PDM, "europeana", 1910, 0.03, 14),
    ("Harbour bathers", "Ernest Vale", License.CC0, "nypl", 1920, 0.64, 3),
    ("Portrait of a lady", "Anon.", License.CC0, "nypl", 1860, 0.05, 1),
]


def _stored(seed: int, **fields) -> Asset:
    """A published asset with a real original and thumbnail in storage."""
    size = (480, 320) if seed % 2 else (320, 400)
    data = jpeg(seed, size=size)
    original = default_storage.save(f"originals/b/{seed}.jpg", ContentFile(data))
    thumbnail = default_storage.save(f"thumbnails/b/{seed}.jpg", ContentFile(jpeg(seed, size)))
    values = {
        "source_record_id": f"rec-{seed}", "status": AssetStatus.PUBLISHED,
        "original_key": original, "thumbnail_key": thumbnail, "mime_type": "image/jpeg",
        "width": size[0], "height": size[1], "byte_size": len(data), "sha256": f"{seed:064x}",
        "has_pii": False, "landing_url": f"https://example.org/records/{seed}",
        **fields,
    }  # fmt: skip
    asset = Asset.objects.create(**values)
    search_documents_refresh([asset.pk])
    return asset


def _catalog() -> list[Asset]:
    assets = []
    for seed, (title, creator, lic, source, year, nsfw, faces) in enumerate(CATALOG, start=1):
        asset = _stored(seed, title=title, creator=creator, license=lic, source=source,
                        year=year, creation_date=str(year), nsfw_score=nsfw,
                        face_count=faces, institution=source.replace("_", " ").title())  # fmt: skip
        ProvenanceRecord.objects.create(
            asset_id=asset.pk, source=source, source_record_id=asset.source_record_id,
            record_url=asset.landing_url, license=lic, decision="accepted",
            evidence={"rights": "CC0" if lic == License.CC0 else "Public Domain Mark"},
            retrieved_at=asset.created_at, sha256=asset.sha256,
        )  # fmt: skip
        events_append([ProvenanceEvent(asset_id=asset.pk, kind=EventKind.PUBLISHED,
                                       actor="ingest")])  # fmt: skip
        assets.append(asset)
    IngestRun.objects.create(kind="ingest", source="cleveland_museum", seen=2, accepted=2,
                             finished_at="2026-11-20T08:00:00Z")  # fmt: skip
    events_seal()
    return assets


def _paid_work() -> Asset:
    artist = User.objects.create_user("ada", "ada@example.org", "ada-long-pass")
    artist.groups.add(role_group(Role.RIGHTS_HOLDER))
    work = opt_in_work(artist, price_micros=50_000)
    data = jpeg(99, size=(400, 300))
    Asset.objects.filter(pk=work.asset_id).update(
        status=AssetStatus.PUBLISHED, title="Harbour, an artist's study", creator="Ada",
        thumbnail_key=default_storage.save("thumbnails/b/99.jpg", ContentFile(data)),
        width=400, height=300, byte_size=None, nsfw_score=0.01, face_count=0, has_pii=False,
    )  # fmt: skip
    search_documents_refresh([work.asset_id])
    return Asset.objects.get(pk=work.asset_id)


def _buyer(username: str = "bea") -> User:
    buyer = User.objects.create_user(username, f"{username}@example.org", "bea-long-pass")
    buyer.groups.add(role_group(Role.BUYER))
    return buyer


def _sign_in(site, username: str, password: str) -> None:
    page = site.go("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()


def _result_titles(page) -> list[str]:
    return page.locator(".result .title").all_inner_texts()


def test_a_visitor_searches_with_words_filters_and_a_threshold_then_opens_an_image(site):
    _catalog()
    page = site.go("/")
    page.get_by_label("Search the catalog").fill("harbour")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the catalog")
    expect(page.locator(".result-count")).to_have_text("4 images match.")
    expect(page.locator(".facets")).to_contain_text("The Cleveland Museum of Art (2)")
    site.check("01-search-words")

    # A license filter: the results change in place and the URL holds the query.
    page.get_by_role("checkbox", name="CC0 1.0 Universal").check()
    expect(page.locator(".result-count")).to_have_text("3 images match.")
    expect(page).to_have_url(re.compile(r"license=cc0-1.0"))
    # The nudity threshold as a slider: its value shows beside it, and the page says how
    # many matches it leaves out.
    page.get_by_label("Nudity score at most").fill("0.5")
    expect(page.locator("#f-nsfw-out")).to_have_text("0.5")
    expect(page.locator(".result-count")).to_have_text(
        "2 images match; your thresholds leave out 1 more."
    )
    expect(page).to_have_url(re.compile(r"max_nsfw=0.5"))
    assert "max_faces" not in page.url  # the sliders at "Any" stay out of the link
    assert sorted(_result_titles(page)) == ["Harbour at dawn", "Harbour in fog"]
    site.check("02-search-filtered")

    # The URL is the search: opened anew, it shows the same results.
    shared = page.url
    page.goto(site.url + "/")
    page.goto(shared)
    assert sorted(_result_titles(page)) == ["Harbour at dawn", "Harbour in fog"]
    expect(page.get_by_label("Nudity score at most")).to_have_value("0.5")

    # An image's page: license evidence, history with seals, more by the creator.
    page.get_by_role("link", name="Harbour at dawn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour at dawn")
    expect(page.locator("#license-h + p")).to_contain_text("CC0 1.0 Universal")
    expect(page.locator(".evidence")).to_contain_text("CC0")
    expect(page.locator(".seal").first).to_contain_text("#")
    expect(page.get_by_role("heading", name="By the same creator")).to_be_visible()
    expect(page.get_by_role("link", name="Harbour in fog").first).to_be_visible()
    # The image is shown (it loads, and is not a broken picture), given time to arrive.
    # Polled from here: the page's CSP forbids the eval that wait_for_function uses.
    image = page.locator(".asset-image")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    site.check("03-asset")
    # The back button returns to the filtered search.
    page.go_back()
    expect(page).to_have_url(shared)
    assert sorted(_result_titles(page)) == ["Harbour at dawn", "Harbour in fog"]


def test_more_results_append_the_next_page(site):
    for seed in range(30):
        _stored(200 + seed, title=f"Still life {seed:02}", license=License.CC0,
                source="nypl")  # fmt: skip
    page = site.go("/search/?q=still")
    expect(page.locator(".result")).to_have_count(24)
    page.get_by_role("link", name="More results").click()
    expect(page.locator(".result")).to_have_count(30)
    expect(page.get_by_role("link", name="More results")).to_have_count(0)
    # Focus lands on the first of the new results.
    assert page.evaluate("document.activeElement.closest('.result') !== null")
    assert len(set(_result_titles(page))) == 30
    page.wait_for_load_state("networkidle")  # the lazy thumbnails, before the page closes


def test_a_buyer_tops_up_collects_licenses_and_downloads(site, tmp_path):
    _catalog()
    paid = _paid_work()
    buyer = _buyer()
    _sign_in(site, "bea", "bea-long-pass")

    # Top up in the sandbox: Stripe's page stand-in, then back to the wallet.
    page = site.go("/wallet/")
    expect(page.locator("#wallet-balance")).to_have_text("$0.00")
    site.check("01-wallet-empty")
    page.get_by_role("radio", name="$10.00").check()
    page.get_by_role("button", name="Top up with Stripe").click()
    expect(page.get_by_text("SANDBOX").first).to_be_visible()
    page.get_by_role("button", name="Complete (sandbox)").click()
    expect(page).to_have_url(site.url + "/wallet/")
    expect(page.locator("#wallet-balance")).to_have_text("$10.00")
    expect(page.locator("#quota-used")).to_have_text("0 of 1,000")

    # Tick three results, one of them paid, and add them to a new collection.
    page = site.go("/search/?q=harbour")
    for title in ("Harbour at dawn", "Harbour in fog", "Harbour, an artist's study"):
        page.get_by_role("checkbox", name=f"Select “{title}”").check()
    page.get_by_label("or a new collection named").fill("Harbours for captioning")
    page.get_by_role("button", name="Add to the collection").click()
    expect(page.locator("#selection-status")).to_contain_text(
        "3 images added to “Harbours for captioning”."
    )
    site.check("02-search-added")
    page.get_by_role("link", name="Open “Harbours for captioning”").click()
    expect(page.locator(".result")).to_have_count(3)
    site.check("03-collection")

    # License the collection: the summary first, then the links.
    page.get_by_role("link", name="License this collection").click()
    # An opt-in work is licensed for one use: nothing is priced until the use is chosen.
    expect(page.locator(".refused")).to_contain_text("choose a use to license it")
    page.get_by_role("radio", name="AI training (not generative)").check()
    facts = page.locator("#cost-h + dl")
    expect(facts).to_contain_text("$0.051")
    expect(facts).to_contain_text("$9.949")
    expect(facts).to_contain_text("997")
    site.check("04-license-summary")
    # axe leaves empty style attributes behind, which htmx would carry over when it swaps
    # the summary (and the page's policy refuses): start from a clean page.
    page.reload()
    page.get_by_role("radio", name="AI training (not generative)").check()
    expect(page.get_by_role("button", name="Confirm and license for $0.051")).to_be_visible()
    page.get_by_role("radio", name="Commercial").check()
    page.get_by_label("In your words (optional)").fill("captioning model")
    page.get_by_role("button", name="Confirm and license for $0.051").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Licensed: your downloads")
    site.check("05-licensed")
    with page.expect_download() as got:
        page.get_by_role("link", name=f"asset-{paid.pk}.jpg").click()
    saved = tmp_path / "one.jpg"
    got.value.save_as(saved)
    # The licensed file is the offer's copy: the same picture, with the terms written in.
    served = OfferFile.objects.get(offer__work__asset=paid)
    assert saved.read_bytes() == default_storage.open(served.key).read()
    assert picture_data(saved.read_bytes()) == picture_data(
        default_storage.open(paid.original_key).read()
    )
    assert b"DMI-ALLOWED" in saved.read_bytes()
    with page.expect_download() as got:
        page.get_by_role("link", name=re.compile("Download all as a zip")).click()
    assert got.value.suggested_filename.endswith(".zip")

    # A manifest of the collection: built, then downloaded.
    page = site.go("/collections/")
    page.get_by_role("link", name="Harbours for captioning").click()
    page.get_by_role("link", name="Export a manifest").click()
    page.get_by_role("radio", name=re.compile("JSON Lines")).check()
    page.get_by_role("button", name="Build it").click()
    expect(page.get_by_text("Ready:")).to_be_visible()
    site.check("06-manifest")
    with page.expect_download() as got:
        page.get_by_role("link", name=re.compile("Download the JSON Lines file")).click()
    manifest = tmp_path / "manifest.jsonl"
    got.value.save_as(manifest)
    assert len(manifest.read_text().splitlines()) == 3
    assert ManifestExport.objects.get().rows == 3

    # The wallet and the quota changed.
    page = site.go("/wallet/")
    expect(page.locator("#wallet-balance")).to_have_text("$9.949")
    expect(page.locator("#quota-used")).to_have_text("3 of 1,000")
    expect(page.locator("#statement-h + .table-wrap")).to_contain_text("1 paid download")
    site.check("07-wallet-after")
    assert wallet_of(buyer).balance_micros == 9_949_000

    # Search for one use, tick two images and license them: the licensing page opens with
    # the use searched for chosen and priced, and the links page says the use of each.
    page = site.go("/search/?q=harbour")
    page.get_by_label("May be used for").select_option("ai_generative_training")
    expect(page).to_have_url(re.compile(r"use=ai_generative_training"))
    expect(page.locator(".result .meta").first).to_contain_text("for generative AI training")
    # An image's page reached from that search licenses it for that use.
    page.get_by_role("link", name="Harbour, an artist's study").click()
    expect(page.locator(".use-prices .searched")).to_contain_text("the use you searched for")
    expect(
        page.get_by_role("link", name="License this image for generative AI training")
    ).to_be_visible()
    site.check("08-asset-from-use-search")
    page.go_back()
    expect(page.get_by_label("May be used for")).to_have_value("ai_generative_training")
    for title in ("Harbour festival", "Harbour, an artist's study"):
        page.get_by_role("checkbox", name=f"Select “{title}”").check()
    page.get_by_role("button", name="License the ticked images").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("License 2 images")
    expect(page.get_by_role("radio", name="Generative AI training")).to_be_checked()
    expect(page.locator("#what-h + dl")).to_contain_text("Generative AI training")
    expect(page.locator("#what-h ~ ul")).to_contain_text("$0.051 for generative AI training")
    expect(page.locator("#cost-h + dl")).to_contain_text("$9.898")  # the wallet after
    site.check("09-license-use-from-search")
    page.get_by_role("button", name="Confirm and license for $0.051").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Licensed: your downloads")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("thead")).to_contain_text("Use")
    for row in range(2):
        expect(rows.nth(row).locator("td").nth(2)).to_have_text("Generative AI training")
    site.check("10-licensed-with-use")
    assert wallet_of(buyer).balance_micros == 9_898_000


def test_a_takedown_shows_in_the_buyers_collection_and_notifications(site, browser):
    assets = _catalog()
    buyer = _buyer()
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.bulk_create(CollectionItem(collection=collection, asset=a)
                                       for a in assets[:3])  # fmt: skip
    downloads_grant(
        buyer=buyer, asset_ids=[a.pk for a in assets[:3]], purpose="research", use="ai_training"
    )

    # The buyer flags one from its page.
    _sign_in(site, "bea", "bea-long-pass")
    page = site.go(f"/assets/{assets[2].pk}/")
    page.get_by_label("What is wrong?").select_option("privacy")
    page.get_by_label("Tell the moderators more").fill("A face is recognisable.")
    page.get_by_role("button", name="Flag this for the moderators").click()
    expect(page.locator(".messages")).to_contain_text("the moderators will look at it")

    # A moderator takes it down in the admin's review queue, in their own browser.
    role_groups_sync()
    moderator = User.objects.create_user("mona", "mona@example.org", "mona-long-pass",
                                         is_staff=True)  # fmt: skip
    moderator.groups.add(role_group(Role.MODERATOR))
    context = browser.new_context()
    admin = context.new_page()
    admin.goto(site.url + "/admin/login/")
    admin.fill("#id_username", "mona")
    admin.fill("#id_password", "mona-long-pass")
    admin.click("input[type=submit]")
    admin.goto(site.url + "/admin/moderation/reviewitem/")
    admin.check(f"input[name=_selected_action][value='{assets[2].pk}']")
    admin.select_option("select[name=action]", "take_down")
    admin.click("button[name=index]")
    expect(admin.locator(".messagelist")).to_contain_text("1 asset changed")
    context.close()
    assert Asset.objects.get(pk=assets[2].pk).status == AssetStatus.TAKEN_DOWN

    # The buyer sees it removed, with the reason, and a notice saying what to delete.
    page = site.go(f"/collections/{collection.pk}/")
    removed = page.locator(".result.removed")
    expect(removed).to_have_count(1)
    expect(removed).to_contain_text("Taken down by a moderator: privacy")
    site.check("01-collection-removed")
    expect(page.locator(".account-nav .badge")).to_contain_text("1")
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.locator(".to-delete")).to_contain_text(f"asset-{assets[2].pk}.jpg")
    expect(page.locator(".to-delete")).to_contain_text(assets[2].sha256)
    site.check("02-notifications")


def test_the_other_catalog_and_buyer_pages_pass_axe(site):
    assets = _catalog()
    buyer = _buyer()
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.bulk_create(CollectionItem(collection=collection, asset=a)
                                       for a in assets[:2])  # fmt: skip
    downloads_grant(buyer=buyer, asset_ids=[assets[0].pk], purpose="research", use="ai_training")
    release = DatasetRelease.objects.create(
        name="harbours-cc0", version="2026.11", filters={"license": ["cc0-1.0"], "max_nsfw": 0.2},
        description="CC0 harbours with a low nudity score.", state=DatasetRelease.State.DONE,
        counts={"total": 2, "by_source": {"cleveland_museum": 2}, "by_license": {"cc0-1.0": 2},
                "institutions": {"cleveland_museum": ["Cleveland Museum of Art"]}},
        built_at="2026-11-21T12:00:00Z", file_key="releases/1/h.parquet", sha256="ab" * 32,
    )  # fmt: skip
    for path, name in (
        ("/sources/", "sources"),
        ("/sources/cleveland_museum/", "source"),
        ("/releases/", "releases"),
        (f"/releases/{release.pk}/", "release-datasheet"),
        ("/search/?q=nothing-like-this", "search-empty"),
        ("/search/?year_from=2000&year_to=1900", "search-refused"),
    ):
        site.go(path)
        site.check(name)
    _sign_in(site, "bea", "bea-long-pass")
    for path, name in (
        ("/search/?q=harbour", "search-buyer"),
        ("/collections/", "collections"),
        (f"/collections/{collection.pk}/datasheet/", "collection-datasheet"),
        ("/licenses/", "licenses"),
        ("/manifests/", "manifests"),
        ("/account/thresholds/", "thresholds"),
        (f"/license/?asset={assets[1].pk}&asset={assets[3].pk}", "license-summary"),
    ):
        site.go(path)
        site.check(name)
    # The saved defaults are set on their page and shown on the search page.
    page = site.go("/account/thresholds/")
    page.get_by_label("Nudity score at most").fill("0.2")
    page.get_by_role("button", name="Save the defaults").click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    page = site.go("/search/?q=harbour")
    expect(page.locator(".saved-thresholds")).to_contain_text("nudity at most 0.2")
    expect(page.get_by_text("Your saved defaults apply: nudity at most 0.2.")).to_be_visible()
    expect(page.locator(".result-count")).to_have_text(
        "3 images match; your thresholds leave out 1 more."
    )
    # A refusal: more than the wallet holds.
    paid = _paid_work()
    # An opt-in work's page prices each use, with a link to license it for that use.
    page = site.go(f"/assets/{paid.pk}/")
    expect(page.locator(".use-prices")).to_contain_text("Generative AI training")
    expect(page.get_by_role("link", name="License for Generative AI training")).to_be_visible()
    site.check("asset-opt-in-buyer")
    page = site.go("/search/?use=ai_generative_training")
    expect(page.get_by_label("May be used for")).to_have_value("ai_generative_training")
    site.check("search-by-use")
    page = site.go(f"/license/?asset={paid.pk}&use=ai_generative_training")
    expect(page.get_by_role("radio", name="Generative AI training")).to_be_checked()
    expect(page.locator("#what-h + dl")).to_contain_text("Generative AI training")
    page.get_by_role("button", name=re.compile("Confirm and license")).click()
    expect(page.get_by_role("alert")).to_contain_text("Your wallet does not hold enough.")
    site.check("license-refused")
    page.get_by_role("link", name="Top up your wallet").click()
    expect(page.get_by_role("radio", name="$5.00")).to_be_checked()
    site.check("wallet-suggested")
