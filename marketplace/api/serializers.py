from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from common.json_types import JsonTypedSerializer
from marketplace.models import SELF_SERVICE_ROLES, ApiToken, Role, TokenScope, User


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable reason, e.g. `invalid`.")
    message = serializers.CharField(help_text="What went wrong and what to do, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages; dotted names for nested fields. Empty when not about input.",
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx response."""

    error = ErrorDetailSerializer()


class RegisterRequestSerializer(JsonTypedSerializer):
    username = serializers.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="150 characters or fewer: letters, digits and @/./+/-/_ only.",
    )
    email = serializers.EmailField(help_text="Used for receipts and notices; must be unique.")
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="At least 8 characters, not common, not only digits.",
    )
    role = serializers.ChoiceField(
        choices=[(role.value, role.label) for role in SELF_SERVICE_ROLES],
        help_text="`rights_holder` to offer your work, `buyer` to license media.",
    )


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        read_only=True,
        help_text="The account's roles.",
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "roles", "date_joined"]
        read_only_fields = fields


class TokenOptionsSerializer(JsonTypedSerializer):
    """What a new token is for, what it may do and how long it lives."""

    name = serializers.CharField(
        max_length=100, required=False, help_text="What the token is for, e.g. `training job`."
    )
    scope = serializers.ChoiceField(
        choices=TokenScope.choices,
        default=TokenScope.MANAGE,
        help_text="`read` (search, your own lists), `download` (license only what costs "
        "nothing or is already licensed), `purchase` (may also spend from the wallet), "
        "`manage` (everything the account may do). Each includes the ones before it.",
    )
    expires_in_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="Days until it stops working; the default and the maximum are set by the "
        "platform (API_TOKEN_DEFAULT_DAYS, API_TOKEN_MAX_DAYS).",
    )


class TokenCreateSerializer(TokenOptionsSerializer):
    name = serializers.CharField(
        max_length=100, help_text="What the token is for, e.g. `training job`."
    )


class TokenRequestSerializer(TokenOptionsSerializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never the token itself, which is shown only once."""

    created = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scope", "created", "expires_at", "last_used_at",
                  "revoked_at"]  # fmt: skip
        read_only_fields = fields


class TokenSerializer(ApiTokenSerializer):
    """A token just created, with the token itself: store it now, it is not shown again."""

    token = serializers.SerializerMethodField(
        help_text="Send as `Authorization: Token <token>`. Shown only this once."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]
        read_only_fields = fields

    def get_token(self, record) -> str:
        return self.context["token"]


def issued_token_body(issued) -> dict:
    """The response body for a token just created (marketplace.tokens.IssuedToken)."""
    return TokenSerializer(issued.record, context={"token": issued.token}).data


class RegisterResponseSerializer(serializers.Serializer):
    user = UserSerializer()
    token = TokenSerializer()


class HealthCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField(help_text="What was reached, or why it failed.")


class ReadinessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ready", "not_ready"])
    failing = serializers.ListField(child=serializers.CharField(), help_text="Failing parts.")
    checks = serializers.DictField(child=HealthCheckSerializer())


class LivenessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["alive"])
