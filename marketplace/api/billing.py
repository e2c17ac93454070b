"""Billing endpoints for people: wallet and plan, top-ups, the Curation subscription,
payout onboarding and statements. The money logic is in `billing`; these only translate."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors, services
from billing.models import Posting, TopUp
from billing.selectors import available_micros, payable_of, plan_for, sandbox_enabled, wallet_of
from common.fields import UsdStringField
from common.json_types import JsonTypedSerializer
from common.links import absolute
from common.money import MICROS_PER_USD
from marketplace.api import docs
from marketplace.api.idempotency import IDEMPOTENCY_KEY, idempotent_response
from marketplace.api.permissions import IsBuyer, IsRightsHolder


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField(source="plan.code", help_text="`free` or `curation`.")
    name = serializers.CharField(source="plan.name")
    monthly_downloads = serializers.IntegerField(source="plan.monthly_quota")
    private_collections = serializers.BooleanField(source="plan.private_collections")
    period_start = serializers.DateTimeField(help_text="Start of the current quota period.")
    period_end = serializers.DateTimeField(help_text="When the quota resets.")
    subscription_status = serializers.CharField(help_text="Stripe's status, if subscribed.")
    cancel_at_period_end = serializers.BooleanField()


class WalletSerializer(serializers.Serializer):
    balance_usd = UsdStringField(source="balance_micros", help_text="What the wallet holds.")
    frozen = serializers.BooleanField(help_text="A frozen wallet cannot pay or be topped up.")
    frozen_reason = serializers.CharField()
    plan = PlanSerializer()
    sandbox = serializers.BooleanField(help_text="Payments go to the local sandbox, not Stripe.")


class WalletView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        tags=["billing"],
        summary="Wallet balance and plan",
        responses={200: WalletSerializer, 401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN},
    )
    def get(self, request):
        wallet = wallet_of(request.user)
        data = {
            "balance_micros": wallet.balance_micros,
            "frozen": wallet.frozen,
            "frozen_reason": wallet.frozen_reason,
            "plan": plan_for(request.user),
            "sandbox": sandbox_enabled(),
        }
        return Response(WalletSerializer(data).data)


class TopUpRequestSerializer(JsonTypedSerializer):
    amount_usd = serializers.DecimalField(
        max_digits=9, decimal_places=2, help_text="Amount to add, in USD (e.g. `25.00`)."
    )


class TopUpSerializer(serializers.ModelSerializer):
    amount_usd = UsdStringField(source="amount_micros")

    class Meta:
        model = TopUp
        fields = ["id", "amount_usd", "state", "checkout_session_id", "sandbox", "created_at",
                  "paid_at"]  # fmt: skip


class CheckoutSerializer(serializers.Serializer):
    checkout_url = serializers.CharField(help_text="Send the buyer here to pay.")
    sandbox = serializers.BooleanField(
        help_text="The local sandbox: open the URL in a browser to pay."
    )


class TopUpCreatedSerializer(CheckoutSerializer):
    top_up = TopUpSerializer()


class TopUpListCreateView(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = TopUpSerializer

    def get_queryset(self):
        return TopUp.objects.filter(buyer=self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        tags=["billing"],
        summary="Your top-ups, newest first",
        responses={200: TopUpSerializer(many=True), 403: docs.FORBIDDEN},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["billing"],
        summary="Start a wallet top-up through Stripe Checkout",
        description="The wallet is credited only when Stripe confirms the payment. Send an "
        "`Idempotency-Key` header so that a retry opens no second Checkout page.",
        parameters=[IDEMPOTENCY_KEY],
        request=TopUpRequestSerializer,
        responses={
            201: TopUpCreatedSerializer,
            400: docs.BAD_REQUEST,
            403: docs.error("Not a buyer, or the wallet is frozen."),
            422: docs.error("`idempotency_key_reused`: the key was sent with another request."),
            503: docs.error("Payments are not configured."),
        },
    )
    def post(self, request):
        form = TopUpRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        amount = int(form.validated_data["amount_usd"] * Decimal(MICROS_PER_USD))

        def start() -> Response:
            top_up, redirect = services.top_up_start(buyer=request.user, amount_micros=amount)
            body = {
                "top_up": top_up,
                "checkout_url": absolute(redirect.url, request=request),
                "sandbox": top_up.sandbox,
            }
            return Response(TopUpCreatedSerializer(body).data, status=status.HTTP_201_CREATED)

        return idempotent_response(request, start)


class LinkSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Send the person here.")


class SubscriptionCheckoutView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        tags=["billing"],
        summary="Subscribe to the Curation plan through Stripe Checkout",
        request=None,
        responses={
            201: CheckoutSerializer,
            403: docs.FORBIDDEN,
            409: docs.error("Already subscribed."),
        },
    )
    def post(self, request):
        redirect = services.subscription_start(buyer=request.user)
        body = {
            "checkout_url": absolute(redirect.url, request=request),
            "sandbox": sandbox_enabled(),
        }
        return Response(CheckoutSerializer(body).data, status=status.HTTP_201_CREATED)


class SubscriptionPortalView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        tags=["billing"],
        summary="A Stripe customer-portal link to change the card or cancel",
        request=None,
        responses={
            200: LinkSerializer,
            403: docs.FORBIDDEN,
            409: docs.error("No subscription yet."),
        },
    )
    def post(self, request):
        url = services.portal_url(buyer=request.user)
        return Response({"url": absolute(url, request=request)})


class PayoutSerializer(serializers.Serializer):
    batch = serializers.CharField()
    amount_usd = UsdStringField(source="amount_micros")
    state = serializers.CharField()
    created_at = serializers.DateTimeField()


class PayoutStatusSerializer(serializers.Serializer):
    payouts_enabled = serializers.BooleanField(help_text="Stripe accepts transfers to you.")
    onboarding_started = serializers.BooleanField()
    balance_usd = UsdStringField(help_text="Earned and not yet paid out.")
    available_usd = UsdStringField(help_text="Past the hold period: goes out in the next payout.")
    payouts = PayoutSerializer(many=True, help_text="The latest 20 payouts.")


class PayoutStatusView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        tags=["billing"],
        summary="Payout status, balance and recent payouts",
        responses={200: PayoutStatusSerializer, 403: docs.FORBIDDEN},
    )
    def get(self, request):
        account = getattr(request.user, "connect_account", None)
        data = {
            "payouts_enabled": bool(account and account.payouts_enabled),
            "onboarding_started": account is not None,
            "balance_usd": payable_of(request.user).balance_micros,
            "available_usd": max(0, available_micros(request.user)),
            "payouts": selectors.payouts_of(request.user)[:20],
        }
        return Response(PayoutStatusSerializer(data).data)


class PayoutOnboardingView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        tags=["billing"],
        summary="A Stripe Connect onboarding link, to receive payouts",
        request=None,
        responses={200: LinkSerializer, 403: docs.FORBIDDEN},
    )
    def post(self, request):
        url = services.connect_onboarding_url(rights_holder=request.user)
        return Response({"url": absolute(url, request=request)})


class StatementQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="From this time (inclusive).")
    until = serializers.DateTimeField(required=False, help_text="Up to this time (exclusive).")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be after `since`."]})
        return attrs


STATEMENT_PARAMETERS = [
    OpenApiParameter("since", str, description="ISO 8601 time, inclusive."),
    OpenApiParameter("until", str, description="ISO 8601 time, exclusive."),
]


class StatementLineSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="transaction.created_at")
    kind = serializers.CharField(source="transaction.kind", help_text="What moved the money.")
    description = serializers.CharField(source="transaction.memo")
    amount_usd = UsdStringField(source="amount_micros", help_text="Positive in, negative out.")

    class Meta:
        model = Posting
        fields = ["at", "kind", "description", "amount_usd", "reference"]


class WalletStatementView(ListAPIView):
    """Top-ups, downloads and refunds on the buyer's wallet, newest first."""

    permission_classes = [IsBuyer]
    serializer_class = StatementLineSerializer

    def get_queryset(self):
        window = StatementQuerySerializer(data=self.request.query_params)
        window.is_valid(raise_exception=True)
        return selectors.wallet_statement(self.request.user, **window.validated_data)

    @extend_schema(
        tags=["billing"],
        summary="Wallet statement",
        parameters=STATEMENT_PARAMETERS,
        responses={
            200: StatementLineSerializer(many=True),
            400: docs.BAD_REQUEST,
            403: docs.FORBIDDEN,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EarningSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The work, as charged: `asset:<id>`.")
    net_usd = UsdStringField(source="net_micros", help_text="Earned, less refunds.")
    postings = serializers.IntegerField(help_text="Paid downloads and refunds counted.")


class EarningsSerializer(serializers.Serializer):
    works = EarningSerializer(many=True)
    payouts = PayoutSerializer(many=True)


class EarningsStatementView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        tags=["billing"],
        summary="Earnings per work and payouts",
        parameters=STATEMENT_PARAMETERS,
        responses={200: EarningsSerializer, 400: docs.BAD_REQUEST, 403: docs.FORBIDDEN},
    )
    def get(self, request):
        window = StatementQuerySerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        works = selectors.earnings_by_work(request.user, **window.validated_data)
        payouts = selectors.payouts_of(request.user, **window.validated_data)
        return Response(EarningsSerializer({"works": works, "payouts": payouts}).data)
