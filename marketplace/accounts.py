"""Accounts: registration and roles (API tokens: marketplace.tokens)."""

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from common.errors import AlreadyExists, DomainError
from marketplace.models import SELF_SERVICE_ROLES, Role, User
from marketplace.tokens import IssuedToken, token_create


def role_group(role: Role) -> Group:
    group, _ = Group.objects.get_or_create(name=role.value)
    return group


def user_register(
    *, username: str, email: str, password: str, role: str
) -> tuple[User, IssuedToken]:
    """Create an account with one self-service role and its first API token."""
    if role not in SELF_SERVICE_ROLES:
        raise DomainError(
            "Choose 'rights_holder' or 'buyer'; moderators are appointed by the platform.",
            code="invalid_role",
            fields={"role": [f"'{role}' cannot be chosen at registration."]},
        )
    try:
        validate_password(password, user=User(username=username, email=email))
    except DjangoValidationError as exc:
        raise DomainError(
            "The password is too weak.", code="weak_password", fields={"password": exc.messages}
        ) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise AlreadyExists(
            "This username is already taken.", fields={"username": ["Choose another username."]}
        )
    if User.objects.filter(email__iexact=email).exists():
        raise AlreadyExists(
            "An account with this email address already exists.",
            fields={"email": ["Sign in instead, or use another address."]},
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            user.groups.add(role_group(Role(role)))
            token = token_create(user=user, name="Created at registration")
    except IntegrityError as exc:  # a concurrent registration won the race
        raise AlreadyExists("This username or email address was just registered.") from exc
    return user, token


# What each role may do in the Django admin, beyond its own objects through the API.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.RIGHTS_HOLDER: [],
    Role.BUYER: [],
    Role.MODERATOR: [
        "catalog.view_asset",
        "catalog.change_asset",
        # The opt-out registry: to judge a work held because its file is listed there, and
        # to add the entries that opt-out requests ask for.
        "catalog.view_optout",
        "catalog.add_optout",
        "catalog.change_optout",
        # What the sources sent and what was decided: ingest runs, provenance, the audit log.
        "catalog.view_ingestrun",
        "provenance.view_provenancerecord",
        "provenance.view_provenanceevent",
        "provenance.view_auditseal",
        "marketplace.view_user",
        # Buyers' manifests and shard exports: what was delivered to whom (read only).
        "marketplace.view_manifestexport",
        "marketplace.view_shardexport",
        # Works and ownership declarations: review, release holds, accept or reject.
        "marketplace.view_work",
        "marketplace.change_work",
        "marketplace.view_ownershipdeclaration",
        "marketplace.change_ownershipdeclaration",
        "moderation.view_classifierscore",
        "moderation.view_flag",
        "moderation.change_flag",
        # The review queue: every decision is an action on it.
        "moderation.view_reviewitem",
        "moderation.change_reviewitem",
        # Dataset releases: see them, add one (its build is queued), build a failed one again.
        "provenance.view_datasetrelease",
        "provenance.add_datasetrelease",
        "provenance.change_datasetrelease",
    ],
}


def role_groups_sync() -> None:
    """Create one group per role and give it exactly the permissions in ROLE_PERMISSIONS."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group = role_group(role)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
