from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    """A user's roles are Django groups named by these values."""

    RIGHTS_HOLDER = "rights_holder", "Rights holder"
    BUYER = "buyer", "Buyer"
    MODERATOR = "moderator", "Moderator"


# Roles a person may choose when registering; moderators are appointed in the admin.
SELF_SERVICE_ROLES = (Role.RIGHTS_HOLDER, Role.BUYER)


class User(AbstractUser):
    """An account: a rights holder, a buyer, a moderator, or several of these."""

    email = models.EmailField(
        "email address",
        blank=True,
        help_text="Where receipts, payout notices and takedown notices are sent. "
        "Unique, compared without case.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_ci_unique",
                violation_error_message="This username is already taken.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_ci_unique",
                violation_error_message="An account with this email address already exists.",
            ),
        ]

    @property
    def roles(self) -> list[str]:
        return sorted(group.name for group in self.groups.all() if group.name in Role.values)
