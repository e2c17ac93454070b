"""Role checks: a user's roles are Django groups (marketplace.models.Role)."""

from rest_framework.permissions import BasePermission

from marketplace.models import Role


class _HasRole(BasePermission):
    role: Role

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.groups.filter(name=self.role).exists())


class IsBuyer(_HasRole):
    role = Role.BUYER
    message = "Only buyer accounts can do this; add the buyer role to your account."


class IsRightsHolder(_HasRole):
    role = Role.RIGHTS_HOLDER
    message = "Only rights-holder accounts can do this."
