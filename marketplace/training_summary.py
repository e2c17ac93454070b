"""The EU AI Act training-content summary of what a buyer licensed: the information the
AI Office's "Template for the Public Summary of Training Content for general-purpose AI
models" (Article 53(1)(d), July 2025) asks a model provider about this data, for one of
their collections, a dataset release, or all their grants.

The template's sections are followed by number: 1 general information (modalities, size,
period of acquisition), 2 list of data sources (2.1 publicly available datasets, 2.2
private datasets obtained from third parties: 2.2.1 licensed from rights holders, 2.2.2
other; 2.3 crawled and scraped data, 2.4 user data, 2.5 synthetic data, 2.6 other), 3
data processing aspects (3.1 respect of reservations of rights from the text and data
mining exception, 3.2 removal of illegal content). What only the model provider knows
(who they are, the model, other data) is left for them to fill in.

Everything comes from the grants, the revocations feed and the audit log as they stood at
the end of the `as_of` day (UTC): the same date gives the same bytes."""

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import ngettext

from catalog.models import Asset, License, OptOut
from catalog.selectors import release_asset_ids, released_get
from common.errors import DomainError
from common.money import usd
from marketplace.collections import collection_for_owner
from marketplace.models import DownloadGrant, Revocation, RevocationKind, Work
from provenance.models import DatasetRelease, EventKind, ProvenanceEvent

TEMPLATE = (
    "Template for the Public Summary of Training Content for general-purpose AI models "
    "(AI Office, July 2025; AI Act Article 53(1)(d))"
)
TO_COMPLETE = "to be completed by the model provider"
# Reasons for which the base set refused a record before or at cloning: the opt-out
# registry, and machine-readable reservations of text and data mining rights.
OPT_OUT_REGISTRY = "opt_out"
TDM_RESERVATIONS = {
    "opt_out_header": "HTTP headers (X-Robots-Tag noai/noimageai, tdm-reservation, Content-Usage)",
    "opt_out_embedded": "embedded metadata (IPTC/XMP DataMining, C2PA/CAWG training-mining)",
    "opt_out_tdmrep": "TDMRep (/.well-known/tdmrep.json)",
    "opt_out_robots": "robots.txt (AI crawler groups, Content-Usage rules)",
    "opt_out_meta": "HTML tdm-reservation meta tags",
}


class SummaryScopeInvalid(DomainError):
    code = "invalid"


@dataclass(frozen=True)
class Scope:
    kind: str  # collection, release, all_grants
    id: int | None
    name: str
    asset_ids: frozenset[int] | None  # None: every grant


def summary_scope(*, buyer, collection_id: int | None = None,
                  release_id: int | None = None) -> Scope:  # fmt: skip
    if collection_id and release_id:
        raise SummaryScopeInvalid(
            "Name a collection or a release, not both.",
            fields={"collection": ["Give either `collection` or `release`."]},
        )
    if collection_id:
        collection = collection_for_owner(owner=buyer, collection_id=collection_id)
        ids = collection.items.values_list("asset_id", flat=True)
        return Scope("collection", collection.pk, collection.name, frozenset(ids))
    if release_id:
        release = released_get(release_id)
        return Scope("release", release.pk, f"{release.name} {release.version}",
                     release_asset_ids(release))  # fmt: skip
    return Scope("all_grants", None, "all your licenses", None)


def _cutoff(as_of: date) -> datetime:
    return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)


def _share(part: int, whole: int) -> str:
    """A share as an exact-enough decimal string (floats would differ across platforms)."""
    return f"{part / whole:.4f}" if whole else "0.0000"


def _images_category(count: int) -> str:
    # The template's size ranges for images.
    if count < 1_000_000:
        return "Less than 1 million images"
    if count <= 1_000_000_000:
        return "1 million to 1 billion images"
    return "More than 1 billion images"


def _domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or "(uploaded to the marketplace)"


def training_summary(*, buyer, scope: Scope, as_of: date, base_url: str = "") -> dict:
    """The summary as a JSON-ready dict, keys in a fixed order."""
    cutoff = _cutoff(as_of)
    grants = DownloadGrant.objects.filter(buyer=buyer, created_at__lt=cutoff)
    if scope.asset_ids is not None:
        grants = grants.filter(asset_id__in=scope.asset_ids)
    grants = list(grants.select_related("terms").order_by("pk"))
    revoked = _revoked(buyer, [g.asset_id for g in grants], cutoff)
    used = [g for g in grants if g.asset_id not in revoked]
    assets = {
        a["pk"]: a
        for a in Asset.objects.filter(pk__in=[g.asset_id for g in used]).values(
            "pk", "source", "original_url", "institution", "license", "mime_type", "byte_size",
            "width", "height", "nsfw_score",
        )
    }  # fmt: skip
    opt_in = [g for g in used if g.license == License.OPT_IN]
    base = [g for g in used if g.license != License.OPT_IN]
    releases = _public_datasets(base, cutoff, base_url)
    in_release = set().union(*(r.pop("_asset_ids") for r in releases)) if releases else set()
    return {
        "template": TEMPLATE,
        "scope": {"kind": scope.kind, "id": scope.id, "name": scope.name},
        "as_of": as_of.isoformat(),
        "buyer_id": buyer.pk,
        "1_general_information": _general(used, assets, grants),
        "2_list_of_data_sources": {
            "2_1_publicly_available_datasets": releases,
            "2_2_private_datasets_from_third_parties": {
                "2_2_1_licensed_from_rights_holders": _licensed(opt_in, assets),
                "2_2_2_other_third_party_data": _other_base_set(
                    [g for g in base if g.asset_id not in in_release], assets
                ),
                "obtained_from": "this marketplace, under per-asset license grants",
            },
            "2_3_crawled_and_scraped_by_the_provider": TO_COMPLETE,
            "2_4_user_data": TO_COMPLETE,
            "2_5_synthetic_data": TO_COMPLETE,
            "2_6_other_sources": TO_COMPLETE,
            "sources_and_domains_by_share": _sources(used, assets),
        },
        "3_data_processing": {
            "3_1_respect_of_reservations_of_rights": _reservations(grants, used, cutoff),
            "3_2_removal_of_illegal_content": _removal(revoked, used, assets, cutoff),
        },
    }


def _revoked(buyer, asset_ids: list[int], cutoff: datetime) -> dict[int, tuple[str, str]]:
    """Asset id to the kind and reason class of the feed entry that ended the buyer's use of
    it, for assets whose latest entry before the cutoff did: a work restored after a
    takedown is used again; taken down again after that, it is not."""
    latest = {}
    for asset_id, kind, reason, still_valid in (
        Revocation.objects.filter(buyer=buyer, occurred_at__lt=cutoff, asset_id__in=asset_ids)
        .order_by("pk")
        .values_list("asset_id", "kind", "reason_class", "still_valid")
    ):
        latest[asset_id] = None if still_valid else (kind, reason)
    return {asset_id: entry for asset_id, entry in latest.items() if entry is not None}


def _general(used, assets, grants) -> dict:
    mime = Counter(assets[g.asset_id]["mime_type"] or "unknown" for g in used)
    size = sum(assets[g.asset_id]["byte_size"] or 0 for g in used)
    pixels = sum((assets[g.asset_id]["width"] or 0) * (assets[g.asset_id]["height"] or 0)
                 for g in used)  # fmt: skip
    times = [g.created_at for g in grants]
    return {
        "provider_and_model": TO_COMPLETE,
        "modalities": [
            {
                "modality": "image",
                "items": len(used),
                "size_category": _images_category(len(used)),
                "bytes": size,
                "pixels": pixels,
                "file_types": dict(sorted(mime.items())),
            }
        ]
        if used
        else [],
        "acquisition_period": {
            "first_license": min(times).date().isoformat() if times else None,
            "last_license": max(times).date().isoformat() if times else None,
        },
    }


def _public_datasets(base, cutoff, base_url) -> list[dict]:
    """Base-set releases built by the cutoff holding any of the buyer's base-set assets."""
    wanted = {g.asset_id for g in base}
    found = []
    if not wanted:
        return found
    built = DatasetRelease.objects.filter(state=DatasetRelease.State.DONE, built_at__lt=cutoff)
    for release in built.order_by("built_at", "pk"):
        ids = release_asset_ids(release) & wanted
        if not ids:
            continue
        found.append(
            {
                "name": release.name,
                "version": release.version,
                "release_id": release.pk,
                "built_at": release.built_at.date().isoformat(),
                "file_sha256": release.sha256,
                "datasheet": base_url + reverse("release-datasheet", args=[release.pk]),
                "items_used": len(ids),
                "licenses": dict(sorted((release.counts or {}).get("by_license", {}).items())),
                "_asset_ids": ids,
            }
        )
    return found


def _licensed(opt_in, assets) -> dict:
    from marketplace.selectors import grant_use  # the selectors re-export this module

    owners = dict(
        Work.objects.filter(asset_id__in=[g.asset_id for g in opt_in]).values_list(
            "asset_id", "owner_id"
        )
    )
    trusted = set(
        Work.objects.filter(asset_id__in=owners, owner__rights_holder_profile__trusted=True)
        .values_list("owner_id", flat=True)
    )  # fmt: skip
    holders = set(owners.values())
    return {
        "items": len(opt_in),
        "rights_holders": len(holders),
        "rights_holder_categories": {
            "individual_rights_holders_ownership_reviewed": len(holders - trusted),
            "trusted_rights_holders": len(holders & trusted),
        },
        "terms_versions": dict(
            sorted(Counter(g.terms.version if g.terms_id else "" for g in opt_in).items())
        ),
        "declared_purposes": dict(sorted(Counter(g.purpose for g in opt_in).items())),
        "licensed_uses": dict(
            sorted(Counter(grant_use(g) or "unrecorded" for g in opt_in).items())
        ),
        "paid_to_rights_holders_usd": usd(sum(g.price_micros for g in opt_in)),
        "license": "the marketplace's training license, at the terms version of each grant",
    }


def _other_base_set(base, assets) -> dict:
    licenses = Counter(g.license for g in base)
    institutions = Counter(assets[g.asset_id]["institution"] or "" for g in base)
    return {
        "items": len(base),
        "licenses": dict(sorted(licenses.items())),
        "description": "Public-domain (Public Domain Mark 1.0) and CC0 1.0 images from open "
        "cultural-heritage collections, each license checked by the marketplace's license "
        "policy, not part of a published release.",
        "holding_institutions": dict(sorted((k, v) for k, v in institutions.items() if k)),
    }


def _sources(used, assets) -> dict:
    total = len(used)
    sources = Counter(assets[g.asset_id]["source"] for g in used)
    domains = Counter(_domain(assets[g.asset_id]["original_url"]) for g in used)

    def ranked(counter, key):
        return [
            {key: name, "items": n, "share": _share(n, total)}
            for name, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        ]

    return {"sources": ranked(sources, "source"), "domains": ranked(domains, "domain")}


def _platform_counts(cutoff: datetime) -> dict:
    """Refusals across the whole base set up to the cutoff (the measures the marketplace
    applied to everything buyers can license). Cached per day once the day is over."""
    key = f"training-summary:platform:{cutoff.isoformat()}"
    if (found := cache.get(key)) is not None:
        return found
    reasons = dict(
        ProvenanceEvent.objects.filter(
            kind__in=[EventKind.INGEST_REJECTED, EventKind.CLONE_REJECTED],
            reason__in=[OPT_OUT_REGISTRY, *TDM_RESERVATIONS],
            created_at__lt=cutoff,
        )
        .values_list("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )
    license_refusals = ProvenanceEvent.objects.filter(
        kind=EventKind.INGEST_REJECTED, created_at__lt=cutoff
    ).exclude(reason__in=[OPT_OUT_REGISTRY, *TDM_RESERVATIONS]).count()  # fmt: skip
    held = ProvenanceEvent.objects.filter(kind=EventKind.HELD, created_at__lt=cutoff).count()
    result = {
        "reasons": reasons,
        "license_refusals": license_refusals,
        "held": held,
        "registry_entries": OptOut.objects.filter(created_at__lt=cutoff).count(),
    }
    if cutoff <= datetime.now(UTC):
        cache.set(key, result, 24 * 3600)
    return result


def _reservations(grants, used, cutoff) -> dict:
    platform = _platform_counts(cutoff)
    reasons = platform["reasons"]
    return {
        "licenses_verified": {
            "base_set_public_domain_or_cc0": sum(1 for g in used if g.license != License.OPT_IN),
            "opt_in_with_accepted_ownership_declaration": sum(
                1 for g in used if g.license == License.OPT_IN
            ),
            "base_set_records_refused_for_their_license": platform["license_refusals"],
        },
        "opt_outs_honoured": {
            "registry_entries": platform["registry_entries"],
            "records_refused_by_the_registry": reasons.get(OPT_OUT_REGISTRY, 0),
        },
        "tdm_reservations_honoured": [
            {
                "signal": TDM_RESERVATIONS[reason],
                "reason": reason,
                "records_refused": reasons.get(reason, 0),
            }
            for reason in sorted(TDM_RESERVATIONS)
        ],
        "scope_of_counts": "refusals across the whole base set up to the as-of date: "
        "refused records never reach any buyer",
        "policy": "Only works whose rights holders opted in, and Public Domain Mark 1.0 or "
        "CC0 1.0 works, are licensed. Any reservation of AI training found in the file, "
        "its HTTP response, its host's tdmrep.json or robots.txt refuses the work; a "
        "reservation that could not be read is never taken as permission.",
    }


def _removal(revoked, used, assets, cutoff) -> dict:
    kinds = Counter(kind for kind, _ in revoked.values())
    classes = Counter(reason for _, reason in revoked.values())
    scores = [assets[g.asset_id]["nsfw_score"] for g in used]
    scored = [s for s in scores if s is not None]
    return {
        "takedowns_applied": {
            "taken_down": kinds.get(RevocationKind.TAKEN_DOWN, 0),
            "license_rejected": kinds.get(RevocationKind.LICENSE_REJECTED, 0),
            "by_reason_class": dict(sorted(classes.items())),
            "note": "licensed items taken down by that date, and not restored since, are left out "
            "of every count above",
        },
        "classifier_filtering": {
            "nudity_classifier": "open_nsfw (onnxruntime)",
            "hold_threshold": settings.MODERATION_HOLD_NSFW,
            "held_for_review_platform_wide": _platform_counts(cutoff)["held"],
            "items_scored": len(scored),
            "highest_nudity_score": f"{max(scored):.4f}" if scored else None,
            "other_classifiers": "faces (OpenCV Haar cascade), personal data in text "
            "(emails, phone numbers, street addresses): scores buyers filter on",
        },
    }


# --- Markdown ------------------------------------------------------------------------------


def training_summary_json(summary: dict) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def training_summary_markdown(summary: dict) -> str:
    general = summary["1_general_information"]
    sources = summary["2_list_of_data_sources"]
    private = sources["2_2_private_datasets_from_third_parties"]
    licensed, other = (private["2_2_1_licensed_from_rights_holders"],
                       private["2_2_2_other_third_party_data"])  # fmt: skip
    processing = summary["3_data_processing"]
    rights, removal = (processing["3_1_respect_of_reservations_of_rights"],
                       processing["3_2_removal_of_illegal_content"])  # fmt: skip
    period = general["acquisition_period"]
    lines = [
        "# Training-content summary",
        "",
        f"Following the {summary['template']}. Scope: {summary['scope']['name']} "
        f"({summary['scope']['kind'].replace('_', ' ')}), as of {summary['as_of']}.",
        "",
        "## 1. General information",
        "",
        f"- Provider and model: *{general['provider_and_model']}*.",
        f"- Acquisition period: {period['first_license'] or '-'} to "
        f"{period['last_license'] or '-'}.",
        "",
        "| Modality | Items | Size category | Bytes | File types |",
        "| --- | ---: | --- | ---: | --- |",
        *(
            f"| {m['modality']} | {m['items']:,} | {m['size_category']} | {m['bytes']:,} | "
            + ", ".join(f"{k} ({v:,})" for k, v in m["file_types"].items())
            + " |"
            for m in general["modalities"]
        ),
        "",
        "## 2. List of data sources",
        "",
        "### 2.1 Publicly available datasets",
        "",
        *(
            [
                "| Release | Built | Items used | Datasheet | File SHA-256 |",
                "| --- | --- | ---: | --- | --- |",
                *(
                    f"| {r['name']} {r['version']} | {r['built_at']} | {r['items_used']:,} | "
                    f"{r['datasheet']} | `{r['file_sha256']}` |"
                    for r in sources["2_1_publicly_available_datasets"]
                ),
            ]
            if sources["2_1_publicly_available_datasets"]
            else ["None."]
        ),
        "",
        "### 2.2 Private datasets obtained from third parties",
        "",
        f"Obtained from {private['obtained_from']}.",
        "",
        "#### 2.2.1 Licensed from rights holders",
        "",
        f"- Items: {licensed['items']:,}, from {licensed['rights_holders']:,} "
        + ngettext("rights holder", "rights holders", licensed["rights_holders"])
        + " "
        + "("
        + ", ".join(
            f"{k.replace('_', ' ')}: {v:,}" for k, v in licensed["rights_holder_categories"].items()
        )
        + ").",
        "- Terms versions: "
        + (
            ", ".join(f"{k or 'none'} ({v:,})" for k, v in licensed["terms_versions"].items())
            or "-"
        )
        + ".",
        f"- Paid to rights holders: USD {licensed['paid_to_rights_holders_usd']}.",
        "",
        "#### 2.2.2 Other third-party data",
        "",
        f"- Items: {other['items']:,} ("
        + (", ".join(f"{k}: {v:,}" for k, v in other["licenses"].items()) or "-")
        + f"). {other['description']}",
        "",
        "### 2.3 to 2.6 Crawled, user, synthetic and other data",
        "",
        f"*{TO_COMPLETE}.*",
        "",
        "### Sources and domains by share",
        "",
        "| Domain | Items | Share |",
        "| --- | ---: | ---: |",
        *(
            f"| {d['domain']} | {d['items']:,} | {d['share']} |"
            for d in sources["sources_and_domains_by_share"]["domains"]
        ),
        "",
        "## 3. Data processing aspects",
        "",
        "### 3.1 Respect of reservations of rights",
        "",
        rights["policy"],
        "",
        *(
            f"- Licenses verified, {k.replace('_', ' ')}: {v:,}"
            for k, v in rights["licenses_verified"].items()
        ),
        f"- Opt-out registry: {rights['opt_outs_honoured']['registry_entries']:,} entries; "
        f"{rights['opt_outs_honoured']['records_refused_by_the_registry']:,} records refused.",
        *(
            f"- TDM reservations in {t['signal']}: {t['records_refused']:,} records refused."
            for t in rights["tdm_reservations_honoured"]
        ),
        f"- Counts: {rights['scope_of_counts']}.",
        "",
        "### 3.2 Removal of illegal and unwanted content",
        "",
        f"- Takedowns applied: {removal['takedowns_applied']['taken_down']:,} taken down, "
        f"{removal['takedowns_applied']['license_rejected']:,} licenses rejected "
        f"({removal['takedowns_applied']['note']}).",
        f"- Nudity classifier ({removal['classifier_filtering']['nudity_classifier']}): items "
        f"scored at or above {removal['classifier_filtering']['hold_threshold']} are held for "
        "a moderator's review; "
        f"{removal['classifier_filtering']['held_for_review_platform_wide']:,} held across "
        "the base set.",
        f"- Other classifiers: {removal['classifier_filtering']['other_classifiers']}.",
        "",
    ]
    return "\n".join(lines)
