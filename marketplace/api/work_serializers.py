"""Request and response bodies of the rights holders' endpoints (marketplace.api.works)."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.utils import html

from billing.selectors import platform_fee_micros
from catalog.selectors import (
    MAX_CREATION_DATE_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    WorkText,
    creation_date_clean,
    tags_clean,
)
from common.fields import UsdAmountField
from common.json_types import JsonTypedSerializer
from common.links import absolute
from common.money import usd
from marketplace import offers
from marketplace.delivery import thumbnail_path
from marketplace.models import OwnershipDeclaration, Use, Work
from marketplace.models.works import HoldReason
from marketplace.selectors import upload_hold_why

# --- request serializers ----------------------------------------------------------------


class TagsField(serializers.ListField):
    """A list of short tags; in a form, repeat `tags` or separate them with commas."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(allow_blank=True))
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if html.is_html_input(dictionary) and isinstance(value, list):
            value = [part for item in value for part in str(item).split(",")]
        return value

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.split(",")
        try:
            return list(tags_clean(super().to_internal_value(data)))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class WorkMetadataSerializer(JsonTypedSerializer):
    title = serializers.CharField(max_length=500, help_text="The work's title (required).")
    description = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Plain-text description, up to 10,000 characters.",
    )
    creation_date = serializers.CharField(
        max_length=MAX_CREATION_DATE_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="When it was made: an ISO date (`2021-05-03`, `2021-05`) or free text "
        "(`c. 1850`, `spring 2021`); not in the future.",
    )
    tags = TagsField(
        required=False,
        default=list,
        help_text=f"Up to {MAX_TAGS} tags of up to {MAX_TAG_LENGTH} characters.",
    )

    def validate_creation_date(self, value: str) -> str:
        try:
            return creation_date_clean(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def text(self) -> WorkText:
        data = self.validated_data
        return WorkText(
            title=data["title"].strip(),
            description=data["description"].strip(),
            creation_date=data["creation_date"],
            tags=tuple(data["tags"]),
        )


# A form field sent once is one text, sent several times a list of texts: both are tags.
@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
)
class FormTagsField(serializers.ListField):
    """Tags in a multipart form (documentation of the upload form; catalog.uploads reads
    them)."""


@extend_schema_serializer(component_name="WorkUpload")
class WorkUploadRequestSerializer(serializers.Serializer):
    """multipart/form-data: either `file` with the metadata fields, or `files` (several)
    with `metadata`, a JSON list of one object per file, in the same order."""

    file = serializers.FileField(required=False, help_text="One image (single upload).")
    title = serializers.CharField(required=False, help_text="Single upload: the title.")
    # Optional form fields may be sent empty, as HTML forms send what was left blank.
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="Single upload."
    )
    creation_date = serializers.CharField(
        required=False, allow_blank=True, help_text="Single upload."
    )
    tags = FormTagsField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Single upload: repeat the field, or separate tags with commas; empty "
        "ones are left out.",
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Batch upload: the images (repeat the field).",
    )
    metadata = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Batch upload: JSON list, one object per file in order, e.g. "
        '`[{"title": "Dawn", "tags": ["sea"]}, {"title": "Dusk"}]`.',
    )


class BatchMetadataSerializer(JsonTypedSerializer):
    metadata = WorkMetadataSerializer(many=True)


USE_HELP = {
    "data_mining": "Extracting patterns, trends and correlations (text and data mining).",
    "ai_inference": "Giving the work to a trained model as input, to produce an answer.",
    "ai_generative_training": "Training models that generate images, text or other content.",
    "ai_training": "Training models that do not generate content (classifiers, search).",
}


@extend_schema_serializer(component_name="OfferUsePrices")
class OfferUsesSerializer(serializers.Serializer):
    """One optional price per use: a use left out (or null) is not allowed."""

    def get_fields(self):
        return {
            use: UsdAmountField(
                required=False,
                allow_null=True,
                help_text=f"{USE_HELP[use]} Your price per download for this use in USD (up "
                "to 6 decimals); leave it out to not allow this use.",
            )
            for use in Use.values
        }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(Use.values))
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"Unknown use; the uses are {', '.join(Use.values)}."]
                     for name in unknown}
                )  # fmt: skip
        values = super().to_internal_value(data)
        return {use: price for use, price in values.items() if price is not None}


@extend_schema_serializer(component_name="OfferTerms")
class OfferRequestSerializer(JsonTypedSerializer):
    uses = OfferUsesSerializer(
        help_text="The uses you allow, each with your price per download, e.g. "
        '`{"ai_training": "0.05", "ai_generative_training": "0.20"}`. A use you leave out is '
        "not allowed.",
    )
    allow_research = serializers.BooleanField(
        default=True, help_text="Buyers may license it for research purposes."
    )
    allow_commercial = serializers.BooleanField(
        default=False, help_text="Buyers may license it for commercial purposes."
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and "price_usd" in data:  # the offers of before uses
            raise serializers.ValidationError({"price_usd": [
                "Prices are set per use: send `uses`, e.g. "
                '{"ai_training": "0.05", "ai_generative_training": "0.20"}.'
            ]})  # fmt: skip
        return super().to_internal_value(data)

    terms_version = serializers.CharField(
        max_length=32, help_text="The training-license version you accept (the current one)."
    )


@extend_schema_serializer(component_name="DeclareStatement")
class DeclarationStatementSerializer(JsonTypedSerializer):
    """A declaration as JSON: the statement only (evidence files need a multipart form)."""

    statement = serializers.CharField(
        max_length=10_000, help_text="How you own the work (you made it, you hold the rights)."
    )


@extend_schema_serializer(component_name="Declare")
class DeclarationRequestSerializer(DeclarationStatementSerializer):
    """A declaration as a multipart form: the statement and evidence files."""

    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Optional evidence files of any type (repeat the field); kept private.",
    )


@extend_schema_serializer(component_name="DirectUploadStart")
class DirectUploadRequestSerializer(JsonTypedSerializer):
    filename = serializers.CharField(max_length=255, help_text="e.g. `dawn.tif`.")
    size = serializers.IntegerField(min_value=1, help_text="The file's exact size in bytes.")
    content_type = serializers.CharField(max_length=100, help_text="e.g. `image/tiff`.")


# --- response serializers ---------------------------------------------------------------


class OfferUseSerializer(serializers.Serializer):
    use = serializers.ChoiceField(choices=Use.choices, help_text="The use allowed.")
    price_usd = serializers.CharField(help_text="Your price per download for this use, USD.")
    fee_usd = serializers.CharField(help_text="The platform fee a buyer pays on top.")
    buyer_pays_usd = serializers.CharField(help_text="What a buyer pays for this use.")


class OfferSerializer(serializers.Serializer):
    uses = serializers.SerializerMethodField(
        help_text="The uses allowed, each at its own price; a use not listed is not allowed."
    )
    price_usd = serializers.SerializerMethodField(
        help_text="Your lowest price per download among the uses allowed, USD."
    )
    allow_research = serializers.BooleanField(help_text="Research purposes allowed.")
    allow_commercial = serializers.BooleanField(help_text="Commercial purposes allowed.")
    terms_version = serializers.CharField(source="terms.version")
    created_at = serializers.DateTimeField(help_text="Since when this offer stands.")

    def get_price_usd(self, offer) -> str:
        return usd(offer.price_micros)

    @extend_schema_field(OfferUseSerializer(many=True))
    def get_uses(self, offer) -> list[dict]:
        fee = platform_fee_micros()
        return [
            {"use": use, "price_usd": usd(price), "fee_usd": usd(fee),
             "buyer_pays_usd": usd(price + fee)}
            for use, price in offers.offer_uses(offer).items()
        ]  # fmt: skip


class DeclarationSerializer(serializers.ModelSerializer):
    evidence_files = serializers.SerializerMethodField(help_text="How many files were sent.")

    class Meta:
        model = OwnershipDeclaration
        fields = [
            "id",
            "state",
            "statement",
            "evidence_files",
            "decision_note",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_evidence_files(self, declaration) -> int:
        return len(declaration.evidence_keys)


class WorkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="asset.title")
    description = serializers.CharField(source="asset.description")
    creation_date = serializers.CharField(source="asset.creation_date")
    tags = serializers.ListField(child=serializers.CharField(), source="asset.tags")
    creator = serializers.CharField(source="asset.creator", help_text="Shown to buyers.")
    status = serializers.CharField(
        source="asset.status",
        help_text="`candidate` until offered, declared and free of holds, then `published`; "
        "`withdrawn` after you withdraw it; `taken_down` by a moderator.",
    )
    hold = serializers.ChoiceField(
        choices=HoldReason.choices,
        help_text="Why a moderator must review it first (empty: no hold): "
        "`matches_base_set`, `matches_other_owner`, `opted_out` (the same file is on the "
        "opt-out registry), `reserves_training` (the file's metadata reserves AI training), "
        "`names_another` (the file's metadata names another creator or rights holder).",
    )
    hold_why = serializers.SerializerMethodField(
        help_text="Why it is held, in words, with what the file's metadata said (the names "
        "and reservations found); empty when not held."
    )
    declaration = serializers.SerializerMethodField(help_text="The latest declaration.")
    offer = serializers.SerializerMethodField(help_text="The current offer, if on offer.")
    thumbnail_url = serializers.SerializerMethodField(help_text="A short-lived URL.")
    mime_type = serializers.CharField(source="asset.mime_type")
    width = serializers.IntegerField(source="asset.width", allow_null=True)
    height = serializers.IntegerField(source="asset.height", allow_null=True)
    byte_size = serializers.IntegerField(source="asset.byte_size", allow_null=True)
    sha256 = serializers.CharField(source="asset.sha256", help_text="Of the stored file.")
    created_at = serializers.DateTimeField()

    def get_hold_why(self, work: Work) -> str:
        return upload_hold_why(work)

    @extend_schema_field(DeclarationSerializer(allow_null=True))
    def get_declaration(self, work: Work) -> dict | None:
        newest = getattr(work, "newest_declarations", None)
        if newest is None:
            newest = list(work.declarations.order_by("-created_at", "-pk")[:1])
        return DeclarationSerializer(newest[0]).data if newest else None

    @extend_schema_field(OfferSerializer(allow_null=True))
    def get_offer(self, work: Work) -> dict | None:
        current = getattr(work, "current_offers", None)  # prefetched by works_of_owner
        if current is None:
            current = [offer] if (offer := offers.current_offer(work)) else []
        offer = current[0] if current else None
        return OfferSerializer(offer).data if offer else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, work: Work) -> str | None:
        if not work.asset.thumbnail_key:
            return None
        url = thumbnail_path(work.asset_id, signed=True)  # drafts are the owner's only
        return absolute(url, request=self.context.get("request"))


class WorkUploadResponseSerializer(serializers.Serializer):
    works = WorkSerializer(many=True, help_text="One work per file, in the order sent.")


class DirectUploadSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Confirm with POST /api/v1/works/uploads/{id}/confirm/.")
    url = serializers.URLField(help_text="POST the form here (multipart/form-data).")
    fields = serializers.DictField(
        child=serializers.CharField(),
        help_text="Send these form fields first, then the file as the field `file`.",
    )
    expires_at = serializers.DateTimeField(help_text="Post and confirm before this time.")
    size = serializers.IntegerField(help_text="The exact size the form accepts.")
    content_type = serializers.CharField(help_text="The Content-Type the form requires.")


class TermsSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="Send it as `terms_version` when offering.")
    title = serializers.CharField()
    text = serializers.CharField()
    published_at = serializers.DateTimeField()
