from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from marketplace.models import SELF_SERVICE_ROLES, Role, User


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


class RegisterRequestSerializer(serializers.Serializer):
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


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        source="key", help_text="Send as `Authorization: Token <token>` on every request."
    )
    created = serializers.DateTimeField()


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
