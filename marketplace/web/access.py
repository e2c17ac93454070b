"""Who may open which page: signed in, and with the role the page is for."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from marketplace.models import Role


def has_role(user, role: Role) -> bool:
    return bool(user.is_authenticated and role.value in user.roles)


def role_required(role: Role):
    """Signed-in people only (others go to the sign-in page); a signed-in person without
    the role gets the 403 page."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page is for {role.label.lower()} accounts.")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


rights_holder_required = role_required(Role.RIGHTS_HOLDER)
buyer_required = role_required(Role.BUYER)
