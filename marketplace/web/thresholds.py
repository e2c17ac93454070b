"""A buyer's saved default thresholds: applied to every search that sets none of its own,
and shown on every search page."""

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from marketplace.search_defaults import saved_thresholds, saved_thresholds_set
from marketplace.web.access import buyer_required
from marketplace.web.browse import FACES_ANY, NSFW_ANY


def _from_form(post: QueryDict) -> dict:
    """The form's sliders and boxes as thresholds: the sliders' "any" end, and a box left
    unticked, clear one."""
    values = {"max_nsfw": None, "max_faces": None, "exclude_pii": None, "exclude_sensitive": None}
    nsfw, faces = post.get("max_nsfw", "").strip(), post.get("max_faces", "").strip()
    values["max_nsfw"] = nsfw if nsfw and nsfw != str(NSFW_ANY) and nsfw != "1" else None
    values["max_faces"] = faces if faces and faces != str(FACES_ANY) else None
    for name in ("exclude_pii", "exclude_sensitive"):
        values[name] = True if post.get(name) else None
    return values


@buyer_required
@require_http_methods(["GET", "POST"])
def thresholds(request):
    errors = {}
    if request.method == "POST":
        try:
            saved_thresholds_set(buyer=request.user, thresholds=_from_form(request.POST))
        except DomainError as error:
            errors = error.fields or {"max_nsfw": [error.message]}
        else:
            messages.success(request, "Saved. Your searches use these thresholds unless you "
                                      "change them on the search page.")  # fmt: skip
            return redirect("web:thresholds")
    context = {"saved": saved_thresholds(request.user), "errors": errors,
               "nsfw_any": NSFW_ANY, "faces_any": FACES_ANY}  # fmt: skip
    return render(request, "web/thresholds.html", context, status=400 if errors else 200)
