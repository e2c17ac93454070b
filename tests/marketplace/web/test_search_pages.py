"""The public catalog on the site: search (the API's parameters, cursor, thresholds and
time limit, with the query in the URL), an asset's page, flagging, sources and releases."""

import re

import pytest
from django.db import connection

from catalog.models import Asset, AssetStatus, IngestRun, License
from catalog.search_documents import search_documents_refresh
from marketplace.models import Role, SavedThresholds
from moderation.models import Flag
from provenance.models import DatasetRelease, EventKind, ProvenanceEvent, ProvenanceRecord
from provenance.services import events_append, events_seal
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db


def published(title: str, **fields) -> Asset:
    fields.setdefault("thumbnail_key", "thumbnails/x.jpg")
    asset = stored_asset(title=title, **fields)
    search_documents_refresh([asset.pk])
    return asset


def titles(html: str) -> list[str]:
    return re.findall(r'<span class="title">([^<]*)</span>', html)


def test_search_finds_words_filters_and_keeps_the_query_in_the_links(client):
    published("Harbour at dawn", license=License.CC0, source="cleveland_museum", year=1890)
    published("Harbour at night", license=License.PDM, source="europeana", year=1930)
    published("Portrait of a lady", license=License.CC0)
    response = client.get("/search/", {"q": "harbour", "license": "cc0-1.0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html) == ["Harbour at dawn"]
    assert "1 image matches" in html
    # Facets count the query's matches by license and source; each is a link that keeps
    # the rest of the query.
    assert re.search(r'href="\?q=harbour&amp;license=cc0-1.0&amp;source=cleveland_museum"', html)
    assert "The Cleveland Museum of Art (1)" in html
    # The form shows what was asked, so the page can be bookmarked and shared as it is.
    assert 'name="q" value="harbour"' in html
    assert re.search(r'value="cc0-1.0" checked', html)
    years = client.get("/search/", {"q": "harbour", "year_from": "1900"}).content.decode()
    assert titles(years) == ["Harbour at night"]


def test_bad_input_is_named_on_the_page_with_a_400(client):
    response = client.get("/search/", {"year_from": "1990", "year_to": "1900"})
    assert response.status_code == 400
    assert "Must not be above year_to." in response.content.decode()
    response = client.get("/search/", {"min_width": "x"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A valid integer is required." in html
    assert 'name="min_width" value="x" min="1" placeholder="width" aria-invalid="true"' in html
    relevance = client.get("/search/", {"ordering": "relevance"})
    assert "relevance needs a q" in relevance.content.decode()


def test_parameters_the_page_does_not_know_are_ignored(client):
    published("Harbour")
    response = client.get("/search/", {"utm_source": "newsletter"})
    assert response.status_code == 200
    assert titles(response.content.decode()) == ["Harbour"]


def test_thresholds_leave_images_out_and_the_page_says_how_many(client):
    published("Calm sea", nsfw_score=0.01, face_count=0, has_pii=False)
    published("Crowd", nsfw_score=0.02, face_count=12, has_pii=False)
    published("Beach", nsfw_score=0.7, face_count=1, has_pii=False)
    published("Not scored yet")
    html = client.get("/search/", {"max_nsfw": "0.5", "max_faces": "2"}).content.decode()
    assert titles(html) == ["Calm sea"]
    assert "your thresholds leave out 3 more" in html
    assert re.search(r'id="f-nsfw"[^>]*value="0.5"', html)
    # The sliders' far end is "any": no threshold, unscored images included.
    html = client.get("/search/", {"max_nsfw": "1", "max_faces": "10"}).content.decode()
    assert len(titles(html)) == 4
    assert "leave out" not in html


def test_a_buyers_saved_thresholds_apply_and_show_until_the_page_sets_its_own(client, make_user):
    published("Calm sea", nsfw_score=0.01, face_count=0, has_pii=False)
    published("Beach", nsfw_score=0.7, face_count=0, has_pii=False)
    buyer = make_user("bea", role=Role.BUYER)
    SavedThresholds.objects.create(user=buyer, thresholds={"max_nsfw": 0.2})
    client.force_login(buyer)
    html = client.get("/search/").content.decode()
    assert titles(html) == ["Calm sea"]
    assert "Your saved defaults apply: nudity at most 0.2." in html
    assert "Your saved defaults: nudity at most 0.2." in html
    assert re.search(r'id="f-nsfw"[^>]*value="0.2"', html)
    # The form sends its sliders as they stand: "any" overrides the saved default.
    html = client.get("/search/", {"use_saved_thresholds": "false"}).content.decode()
    assert len(titles(html)) == 2


def test_more_results_follow_the_api_cursor_as_a_fragment(client, settings):
    for i in range(30):
        published(f"Still life {i:02}")
    html = client.get("/search/").content.decode()
    assert len(titles(html)) == 24
    more = re.search(r'hx-get="\?([^"]+)"[^>]*>More results', html).group(1).replace("&amp;", "&")
    page = client.get(f"/search/?{more}", HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    rest = page.content.decode()
    assert "<html" not in rest
    assert len(titles(rest)) == 6
    assert "data-first-new" in rest and "More results" not in rest
    assert not set(titles(rest)) & set(titles(html))
    # A cursor of another query is refused, as the API refuses it.
    other = client.get(f"/search/?{more}&q=still")
    assert other.status_code == 400
    assert "start again from the first page" in other.content.decode()
    assert 'href="?q=still">Start from the first page' in other.content.decode()


def test_htmx_gets_the_results_alone_and_a_history_restore_the_whole_page(client):
    published("Harbour")
    fragment = client.get("/search/", {"q": "harbour"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    assert "Harbour" in fragment.content.decode()
    restored = client.get(
        "/search/", {"q": "harbour"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restored.content.decode()


def test_a_search_that_runs_too_long_says_so_instead_of_hanging(client, settings, monkeypatch):
    from catalog import search as search_module

    settings.SEARCH_STATEMENT_TIMEOUT_MS = 50

    def slow_page(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(search_module, "asset_page", slow_page)
    response = client.get("/search/", {"q": "harbour"})
    assert response.status_code == 400
    assert "This search took too long" in response.content.decode()


def test_the_search_page_reads_the_database_a_bounded_number_of_times(
    client, django_assert_max_num_queries
):
    for i in range(30):
        published(f"Still life {i:02}", nsfw_score=0.1, face_count=0)
    with django_assert_max_num_queries(12):
        response = client.get("/search/", {"q": "still", "max_nsfw": "0.5"})
    assert len(titles(response.content.decode())) == 24


def test_thumbnails_are_lazy_with_their_size_known(client):
    published("Wide", width=1600, height=400)
    html = client.get("/search/").content.decode()
    assert re.search(r'<img src="/thumbnails/\d+\.jpg" alt="" width="384" height="96" '
                     r'loading="lazy"', html)  # fmt: skip


def _provenance(asset: Asset) -> None:
    ProvenanceRecord.objects.create(
        asset_id=asset.pk, source=asset.source, source_record_id=asset.source_record_id,
        record_url="https://www.clevelandart.org/art/1915.534", license=asset.license,
        decision="accepted", evidence={"share_license_status": "CC0", "copyright": None},
        retrieved_at=asset.created_at, sha256=asset.sha256,
    )  # fmt: skip
    events_append([ProvenanceEvent(asset_id=asset.pk, kind=EventKind.PUBLISHED, actor="test")])
    events_append([ProvenanceEvent(asset_id=asset.pk, kind=EventKind.DOWNLOAD_GRANTED,
                                   actor="someone", data={"buyer_id": 1})])  # fmt: skip


def test_an_assets_page_shows_its_license_evidence_history_and_neighbours(client):
    asset = published("Harbour at dawn", creator="Jane Doe", creation_date="c. 1890",
                      institution="Cleveland Museum of Art", perceptual_hash="ffff0000ffff0000",
                      phash_band0=0, phash_band1=65535, phash_band2=0, phash_band3=65535,
                      nsfw_score=0.03, face_count=0, has_pii=False)  # fmt: skip
    same_creator = published("Harbour at noon", creator="jane doe")
    near = published("Harbour copy", perceptual_hash="ffff0000ffff0001", phash_band0=1,
                     phash_band1=65535, phash_band2=0, phash_band3=65535)  # fmt: skip
    _provenance(asset)
    events_seal()
    html = client.get(f"/assets/{asset.pk}/").content.decode()
    assert "<h1>Harbour at dawn</h1>" in html
    assert 'href="/search/?creator=Jane%20Doe"' in html
    assert "c. 1890" in html and "Cleveland Museum of Art" in html
    assert 'href="https://www.clevelandart.org/art/1915.534"' in html
    assert "<code>share_license_status</code>" in html and "<code>CC0</code>" in html
    assert "https://creativecommons.org/publicdomain/zero/1.0/" in html
    assert "<strong>Free</strong>" in html
    assert "0.03" in html
    # The public history carries each entry's seal; downloads are never public.
    assert "Published" in html and re.search(r'class="seal">#\d+ <code', html)
    assert "Download" not in html
    assert f'href="/assets/{same_creator.pk}/"' in html
    assert re.search(rf'Looks similar</h3>.*?href="/assets/{near.pk}/"', html, re.S)
    assert "Sign in</a> to flag it" in html


def test_more_like_this_carries_the_use_searched_for_when_it_is_one(client, make_user):
    asset = published("Harbour at dawn", creator="Jane Doe",
                      perceptual_hash="ffff0000ffff0000", phash_band0=0, phash_band1=65535,
                      phash_band2=0, phash_band3=65535)  # fmt: skip
    same_creator = published("Harbour at noon", creator="jane doe")
    near = published("Harbour copy", perceptual_hash="ffff0000ffff0001", phash_band0=1,
                     phash_band1=65535, phash_band2=0, phash_band3=65535)  # fmt: skip
    like = re.compile(r'<section aria-labelledby="like-h">.*?</section>', re.S)
    client.force_login(make_user("bea", role=Role.BUYER))

    def neighbours(query: str) -> str:
        response = client.get(f"/assets/{asset.pk}/{query}")
        assert response.status_code == 200
        return like.search(response.content.decode()).group(0)

    searched = neighbours("?use=ai_generative_training")
    for other in (same_creator, near):
        assert f'href="/assets/{other.pk}/?use=ai_generative_training"' in searched
    # Reached from such a link, the next page licenses for it, and carries it on in turn.
    onward = client.get(f"/assets/{near.pk}/?use=ai_generative_training").content.decode()
    assert f'href="/license/?asset={near.pk}&amp;use=ai_generative_training"' in onward
    assert f'href="/assets/{asset.pk}/?use=ai_generative_training"' in like.search(onward)[0]
    # No use, or one that is not a use (an old or edited link): plain links.
    for query in ("", "?use=ai_everything", "?use=%3Cb%3Ex%3C%2Fb%3E"):
        html = neighbours(query)
        assert f'href="/assets/{same_creator.pk}/"' in html and "use=" not in html


def test_an_opt_in_works_page_shows_its_price_with_the_fee(client, make_user):
    work = opt_in_work(make_user("ada", role=Role.RIGHTS_HOLDER), price_micros=50_000)
    Asset.objects.filter(pk=work.asset_id).update(status=AssetStatus.PUBLISHED)
    html = client.get(f"/assets/{work.asset_id}/").content.decode()
    assert "$0.05" in html and "$0.001" in html and "<strong>$0.051</strong>" in html


@pytest.mark.parametrize("status", [AssetStatus.TAKEN_DOWN, AssetStatus.EMBARGOED])
def test_an_asset_not_published_is_not_found(client, status):
    asset = published("Gone", status=status)
    assert client.get(f"/assets/{asset.pk}/").status_code == 404
    assert client.get("/assets/99999999999999999999/").status_code == 404


def test_signed_in_people_flag_an_asset_once(client, make_user):
    asset = published("Harbour")
    client.force_login(make_user("bea", role=Role.BUYER))
    response = client.post(f"/assets/{asset.pk}/flag/", {"reason": "wrong_license"}, follow=True)
    assert "the moderators will look at it" in response.content.decode()
    again = client.post(f"/assets/{asset.pk}/flag/", {"reason": "wrong_license"}, follow=True)
    assert "You flagged this already" in again.content.decode()
    assert Flag.objects.filter(asset=asset).count() == 1
    refused = client.post(f"/assets/{asset.pk}/flag/", {"reason": "other"})
    assert refused.status_code == 400
    assert "Say what is wrong" in refused.content.decode()
    assert client.post(f"/assets/{asset.pk}/flag/", {"reason": "nonsense"}).status_code == 400


def test_flagging_needs_an_account(client):
    asset = published("Harbour")
    response = client.post(f"/assets/{asset.pk}/flag/", {"reason": "wrong_license"})
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert not Flag.objects.exists()


def test_sources_say_what_each_holds_and_how_it_is_checked(client):
    published("A", source="cleveland_museum")
    published("B", source="cleveland_museum")
    stored_asset(source="cleveland_museum", status=AssetStatus.REJECTED, license="",
                 rejection_reason="license_restricted")  # fmt: skip
    IngestRun.objects.create(kind="ingest", source="cleveland_museum", seen=3, accepted=2,
                             rejected={"license_restricted": 1},
                             finished_at="2026-11-02T10:00:00Z")  # fmt: skip
    html = client.get("/sources/").content.decode()
    assert re.search(r'href="/sources/cleveland_museum/">The Cleveland Museum of Art</a></td>'
                     r'<td class="num">2</td><td class="num">1</td>', html)  # fmt: skip
    page = client.get("/sources/cleveland_museum/").content.decode()
    assert "`share_license_status` exactly `CC0`" in page
    assert "2 Nov 2026" in page and "License restricted: 1" in page
    assert client.get("/sources/nowhere/").status_code == 404


def test_releases_and_their_datasheets_are_pages(client):
    release = DatasetRelease.objects.create(
        name="base-set-cc0", version="2026.11", filters={"license": ["cc0-1.0"]},
        state=DatasetRelease.State.DONE, counts={"total": 2, "by_source": {"nypl": 2},
        "by_license": {"cc0-1.0": 2}, "institutions": {}}, built_at="2026-11-21T12:00:00Z",
        file_key="releases/1/base-set-cc0.parquet", sha256="ab" * 32,
    )  # fmt: skip
    DatasetRelease.objects.create(name="queued", version="1", filters={})
    listing = client.get("/releases/").content.decode()
    assert "base-set-cc0" in listing and "queued" not in listing
    sheet = client.get(f"/releases/{release.pk}/").content.decode()
    assert "Datasheet: base-set-cc0 2026.11" in sheet
    assert "<code>license</code>" in sheet and "CC0 1.0 Universal" in sheet
    assert "rightsStatementURI" in sheet  # how the NYPL's licenses are checked
    markdown = client.get(f"/releases/{release.pk}/", {"format": "md"})
    assert markdown["Content-Type"].startswith("text/markdown")
    assert markdown.content.decode().startswith("# Datasheet: base-set-cc0 2026.11")
    assert client.get(f"/releases/{release.pk}/", {"format": "pdf"}).status_code == 400
    assert client.get("/releases/999999/").status_code == 404
