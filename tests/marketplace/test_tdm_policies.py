"""TDMRep on our side: the headers on asset pages and API records, each asset's ODRL
policy, the training license page the policies and files name, and the site's
/.well-known/tdmrep.json, read back with our own TDMRep reader."""

import json

import httpx
import pytest
from django.utils import timezone

from catalog.consent.headers import header_signals
from catalog.consent.tdmrep import html_meta_signals, parse_tdmrep, rule_for
from catalog.consent.vocabulary import ALLOWED, RESERVED, USES
from catalog.models import Asset, AssetStatus
from catalog.services import asset_take_down
from marketplace.models import Role
from marketplace.offers import current_terms, offer_withdraw
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db

BASE = "https://market.example.org"


@pytest.fixture(autouse=True)
def _site_address(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.PLATFORM_FEE_MICROS = 1_000


@pytest.fixture
def artist(make_user):
    return make_user("ada", role=Role.RIGHTS_HOLDER)


def published(work):
    Asset.objects.filter(pk=work.asset_id).update(status=AssetStatus.PUBLISHED)
    return work


def read_headers(response, url: str):
    return header_signals(httpx.Headers(dict(response.items())), url=url, read_at=timezone.now())


@pytest.mark.parametrize("path", ["/assets/{}/", "/api/v1/assets/{}/"])
def test_an_opt_in_works_page_and_record_reserve_tdm_and_name_its_policy(client, artist, path):
    work = published(opt_in_work(artist))
    response = client.get(path.format(work.asset_id))
    assert response.status_code == 200
    assert response["tdm-reservation"] == "1"
    assert response["tdm-policy"] == f"{BASE}/policies/{work.asset_id}.jsonld"
    [signal] = read_headers(response, path.format(work.asset_id))
    assert signal.uses == dict.fromkeys(USES, RESERVED)


@pytest.mark.parametrize("path", ["/assets/{}/", "/api/v1/assets/{}/"])
def test_a_base_set_items_page_and_record_reserve_nothing(client, path):
    asset = stored_asset()
    response = client.get(path.format(asset.pk))
    assert response.status_code == 200
    assert response["tdm-reservation"] == "0" and "tdm-policy" not in response
    [signal] = read_headers(response, path.format(asset.pk))
    assert signal.uses == dict.fromkeys(USES, ALLOWED)


def test_an_opt_in_policy_is_odrl_json_ld_with_each_use_and_its_price(client, artist):
    work = published(opt_in_work(artist, price_micros=99_000))
    response = client.get(f"/policies/{work.asset_id}.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    policy = json.loads(response.content)
    assert policy["@context"][0] == "http://www.w3.org/ns/odrl.jsonld"
    assert policy["@type"] == "Offer" and policy["profile"] == "http://www.w3.org/ns/tdmrep"
    assert policy["uid"] == f"{BASE}/policies/{work.asset_id}.jsonld"
    assert policy["target"] == f"{BASE}/assets/{work.asset_id}/"
    assert policy["dct:license"] == f"{BASE}/terms/{current_terms().version}/"
    assert "prohibition" not in policy  # every use is offered
    by_use = {p["constraint"][0]["rightOperand"]: p for p in policy["permission"]}
    assert set(by_use) == {f"cawg.{use}" for use in USES}
    for permission in by_use.values():
        assert permission["action"] == "tdm:mine"
        [duty] = permission["duty"]
        assert duty["action"] == "compensate"
        [amount] = duty["constraint"]
        assert amount["leftOperand"] == "payAmount"
        assert amount["rightOperand"] == {"@value": "0.100000", "@type": "xsd:decimal"}
        assert amount["unit"] == "http://cvx.iso.org/iso4217/USD"


def test_a_withdrawn_works_policy_prohibits_every_use(client, artist):
    work = published(opt_in_work(artist))
    offer_withdraw(owner=artist, work_id=work.pk)
    policy = client.get(f"/policies/{work.asset_id}.jsonld").json()
    assert "permission" not in policy
    assert {p["constraint"][0]["rightOperand"] for p in policy["prohibition"]} == {
        f"cawg.{use}" for use in USES
    }


def test_a_base_set_policy_permits_mining_under_its_license(client):
    asset = stored_asset()
    policy = client.get(f"/policies/{asset.pk}.jsonld").json()
    assert policy["@type"] == "Set"
    assert policy["dct:license"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert policy["permission"] == [{"target": f"{BASE}/assets/{asset.pk}/",
                                     "action": "tdm:mine"}]  # fmt: skip


def test_what_is_not_published_has_no_policy(client, artist):
    draft = opt_in_work(artist, offered=False)
    taken = stored_asset()
    asset_take_down(asset_id=taken.pk, actor="mod", reason="test")
    for pk in (draft.asset_id, taken.pk, 999_999):
        assert client.get(f"/policies/{pk}.jsonld").status_code == 404


def test_the_sites_tdmrep_json_reserves_each_opt_in_works_pages(client, artist):
    work = published(opt_in_work(artist))
    base = stored_asset()
    response = client.get("/.well-known/tdmrep.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    rules = parse_tdmrep(response.content.decode())
    policy = f"{BASE}/policies/{work.asset_id}.jsonld"
    for path in (f"/assets/{work.asset_id}/", f"/api/v1/assets/{work.asset_id}/",
                 f"/thumbnails/{work.asset_id}.jpg"):  # fmt: skip
        rule = rule_for(rules, f"{BASE}{path}")
        assert (rule.reservation, rule.policy) == (1, policy), path
    assert rule_for(rules, f"{BASE}/assets/{base.pk}/") is None  # its own headers speak
    assert rule_for(rules, f"{BASE}/search/") is None


def test_the_license_a_policy_names_is_a_page(client):
    terms = current_terms()
    response = client.get(f"/terms/{terms.version}/")
    assert response.status_code == 200
    assert terms.title in response.content.decode()
    assert client.get("/terms/no-such-version/").status_code == 404


def test_the_asset_page_says_it_in_tdmrep_meta_elements_too(client, artist):
    work = published(opt_in_work(artist))
    page = client.get(f"/assets/{work.asset_id}/").content.decode()
    assert '<meta name="tdm-reservation" content="1">' in page
    assert f'<meta name="tdm-policy" content="{BASE}/policies/{work.asset_id}.jsonld">' in page
    assert f'href="/policies/{work.asset_id}.jsonld"' in page
    [signal] = html_meta_signals(
        page, url=f"{BASE}/assets/{work.asset_id}/", read_at=timezone.now()
    )
    assert signal.uses == dict.fromkeys(USES, RESERVED)
