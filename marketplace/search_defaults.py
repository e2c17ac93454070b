"""Buyers' saved default thresholds for search: reading and saving them, and merging them
into a search's parameters.

The thresholds are `catalog.search.SCORE_FILTERS` parameters, checked by the very fields
search checks them with (`catalog.selectors.ThresholdsSerializer`): a score added there
can be saved here at once, and nothing about it is written twice."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import ngettext
from rest_framework import serializers
from rest_framework.settings import api_settings

from catalog.selectors import SCORE_FILTERS, ThresholdsSerializer
from common.errors import DomainError
from marketplace.models import SavedThresholds


class InvalidThresholds(DomainError):
    code = "invalid"


def thresholds_clean(raw) -> dict[str, Any]:
    """The thresholds given, parsed as search parses them (None: clear); or InvalidThresholds
    naming each unknown parameter and each value out of range."""
    form = ThresholdsSerializer(data=raw, partial=True)
    if form.is_valid():
        return dict(form.validated_data)
    fields = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, [])  # not an object at all
    if general:
        raise InvalidThresholds(" ".join(general))
    name, messages = next(iter(fields.items()))
    more = len(fields) - 1
    suffix = (
        ngettext(" (and %(n)d more field)", " (and %(n)d more fields)", more) % {"n": more}
        if more
        else ""
    )
    raise InvalidThresholds(f"{name}: {messages[0]}{suffix}", fields=fields)


def _still_valid(saved) -> dict[str, Any]:
    """Saved values as search parses them. One whose score is gone, or whose range has
    narrowed since it was saved, is left out rather than breaking every search of its buyer."""
    fields = ThresholdsSerializer().fields
    values = {}
    for name, value in saved.items() if isinstance(saved, dict) else ():
        if name not in fields or value is None:
            continue
        try:
            values[name] = fields[name].run_validation(value)
        except serializers.ValidationError:
            continue
    return values


def saved_thresholds(user) -> dict[str, Any]:
    """The user's saved default thresholds; {} for anonymous users and those without."""
    if not getattr(user, "is_authenticated", False):
        return {}
    saved = SavedThresholds.objects.filter(user=user).values_list("thresholds", flat=True)
    return _still_valid(saved.first())


@transaction.atomic
def saved_thresholds_set(*, buyer, thresholds, merge: bool = False) -> dict[str, Any]:
    """Save the buyer's default thresholds: all of them (those not given are cleared), or
    with `merge` only those given. A None value clears one. Returns what is now saved."""
    changes = thresholds_clean(thresholds)
    # Locked: two merges at once must not each drop the other's change.
    row, _ = SavedThresholds.objects.select_for_update().get_or_create(user=buyer)
    current = _still_valid(row.thresholds) if merge else {}
    row.thresholds = {k: v for k, v in {**current, **changes}.items() if v is not None}
    row.save(update_fields=["thresholds", "updated_at"])
    return row.thresholds


@dataclass(frozen=True)
class SearchThresholds:
    params: dict[str, Any]  # the search's parameters, with the thresholds it applies
    applied: dict[str, Any]  # every threshold parameter: the value applied, or None
    from_saved: list[str]  # the thresholds taken from the buyer's saved defaults


def search_thresholds(*, user, params: dict[str, Any]) -> SearchThresholds:
    """Fill in the user's saved thresholds wherever the search gives none (unless it says
    `use_saved_thresholds=false`). The result's params carry the effective thresholds, so
    the search's cursors and cached facets are keyed by them."""
    params = dict(params)
    saved = saved_thresholds(user) if params.pop("use_saved_thresholds", True) else {}
    from_saved = []
    for score in SCORE_FILTERS:
        if params.get(score.param) is None and saved.get(score.param) is not None:
            params[score.param] = saved[score.param]
            from_saved.append(score.param)
    applied = {score.param: params.get(score.param) for score in SCORE_FILTERS}
    return SearchThresholds(params, applied, from_saved)
