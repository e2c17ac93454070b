"""Our terms, machine-readable, where TDM agents look for them (W3C TDMRep).

- Each asset has a public policy, ODRL 2.2 in JSON-LD under the TDMRep profile
  (`/policies/<id>.jsonld`): an opt-in work's is an Offer stating, per use of the CAWG
  training-and-data-mining vocabulary, that mining for it is permitted against payment of
  its price (the artist's price plus the platform's fee), or prohibited when not offered,
  with the training license it is granted under; a base-set item's is a Set permitting
  every use under its license (PDM or CC0).
- Responses about an opt-in work (its page, its API record, its file, a download of it)
  carry `tdm-reservation: 1` and `tdm-policy: <its policy>`; base-set items
  `tdm-reservation: 0` (public domain or CC0: nothing is reserved).
- `/.well-known/tdmrep.json` lists every opt-in work's pages as reserved, with its policy.

A work's uses come from `marketplace.selectors.work_uses` alone."""

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from billing.selectors import platform_fee_micros
from catalog.models import Asset, AssetStatus, License
from catalog.selectors import CONSENT_USES, license_url
from common.errors import NotFound
from common.money import usd
from marketplace.models import Offer, Work
from marketplace.served import license_page_url, offer_page_url, policy_url, site_url

TDMREP_PROFILE = "http://www.w3.org/ns/tdmrep"
CONTEXT = [
    "http://www.w3.org/ns/odrl.jsonld",
    {
        "tdm": "http://www.w3.org/ns/tdmrep#",
        "dct": "http://purl.org/dc/terms/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
    },
]
USD = "http://cvx.iso.org/iso4217/USD"
# Policies exist for what can be served: published assets, and withdrawn works whose
# buyers' files still link here.
WITH_POLICY = (AssetStatus.PUBLISHED, AssetStatus.WITHDRAWN)
RESERVED_HEADERS = ("tdm-reservation", "tdm-policy")


def _purpose(use: str) -> dict[str, str]:
    return {"leftOperand": "purpose", "operator": "eq", "rightOperand": f"cawg.{use}"}


def _policy_asset(asset_id: int) -> Asset:
    asset = Asset.objects.filter(pk=asset_id, status__in=WITH_POLICY).first()
    if asset is None or (asset.status == AssetStatus.WITHDRAWN and asset.license != License.OPT_IN):
        raise NotFound("No published asset has this id.")
    return asset


def asset_policy(asset_id: int) -> dict[str, Any]:
    """The asset's ODRL policy (JSON-LD), or NotFound for what is not published."""
    asset = _policy_asset(asset_id)
    target = offer_page_url(asset.pk)
    policy: dict[str, Any] = {
        "@context": CONTEXT,
        "uid": policy_url(asset.pk),
        "profile": TDMREP_PROFILE,
        "target": target,
    }
    if asset.license != License.OPT_IN:
        return {
            **policy,
            "@type": "Set",
            "dct:license": license_url(asset.license),
            "permission": [{"target": target, "action": "tdm:mine"}],
        }
    from marketplace.selectors import work_uses

    work = Work.objects.select_related("owner__rights_holder_profile").get(asset_id=asset.pk)
    uses = work_uses(work)
    offer = Offer.objects.filter(work=work).select_related("terms").order_by("-pk").first()
    fee = platform_fee_micros()
    profile = getattr(work.owner, "rights_holder_profile", None)
    policy.update({
        "@type": "Offer",
        "assigner": {"uid": site_url("/"), "vcard:fn": "Opt-in media marketplace, for "
                     + (profile.display_name if profile else asset.creator or "its rights holder")},
        "dct:license": license_page_url(offer.terms.version) if offer else None,
        "permission": [
            {"target": target, "action": "tdm:mine", "constraint": [_purpose(use)],
             "duty": [{"action": "compensate", "constraint": [{
                 "leftOperand": "payAmount", "operator": "eq", "unit": USD,
                 "rightOperand": {"@value": usd(uses[use] + fee), "@type": "xsd:decimal"},
             }]}]}
            for use in CONSENT_USES if use in uses
        ],
        "prohibition": [
            {"target": target, "action": "tdm:mine", "constraint": [_purpose(use)]}
            for use in CONSENT_USES if use not in uses
        ],
    })  # fmt: skip
    return {k: v for k, v in policy.items() if v not in (None, [])}


def consent_headers(assets: Iterable[tuple[int, str]]) -> dict[str, str]:
    """The TDMRep headers of a response about these assets, (id, license) pairs: reserved
    with the work's policy when one is an opt-in work (the policy named when there is only
    one), else `tdm-reservation: 0`."""
    opt_in = [pk for pk, code in assets if code == License.OPT_IN]
    if not opt_in:
        return {"tdm-reservation": "0"}
    headers = {"tdm-reservation": "1"}
    if len(set(opt_in)) == 1:
        headers["tdm-policy"] = policy_url(opt_in[0])
    return headers


def with_consent_headers(response, assets: Iterable[tuple[int, str]]):
    for name, value in consent_headers(assets).items():
        response[name] = value
    return response


def tdmrep_rules() -> list[dict[str, Any]]:
    """The site's tdmrep.json: each opt-in work's page, API record and thumbnail reserved,
    with its policy. Nothing else is listed: other answers say for themselves (their
    headers), and a catch-all rule would override them."""
    ids = (
        Asset.objects.filter(license=License.OPT_IN, status=AssetStatus.PUBLISHED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rules = []
    for pk in ids.iterator(chunk_size=5000):
        policy = policy_url(pk)
        for path in (reverse("web:asset", args=[pk]), reverse("asset-detail", args=[pk]),
                     reverse("web:thumbnail", args=[pk])):  # fmt: skip
            rules.append({"location": path, "tdm-reservation": 1, "tdm-policy": policy})
    return rules
