"""Rights holders' endpoints: upload works (multipart, or direct to S3 and confirm), list
and edit them, offer and withdraw them, declare ownership; and the current license terms.
The work is done in marketplace.uploads, .declarations and .offers; these only translate."""

import json

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.core.files.storage import storages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.utils import html
from rest_framework.views import APIView

from billing.money import usd
from catalog.serializers import UsdField
from catalog.uploads import (
    MAX_CREATION_DATE_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    WorkText,
    creation_date_clean,
    tags_clean,
)
from marketplace import declarations, offers, uploads
from marketplace.api import docs
from marketplace.api.permissions import IsRightsHolder
from marketplace.errors import DomainError
from marketplace.models import OwnershipDeclaration, Work
from marketplace.models.works import HoldReason

UPLOAD_ERRORS = (
    "Codes: `empty_file`, `file_too_large` (413), `unsupported_type` (SVG, GIF, other "
    "types), `not_an_image`, `extension_mismatch` (the name lies about the type), "
    "`corrupt_image` (truncated or damaged), `image_too_large` (pixels: decompression "
    "bombs), `animated`, `multi_page`, `cmyk`, `polyglot` (a ZIP, script or other data "
    "hidden in or after the image); `upload_refused` when files fail for different reasons."
)


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


class WorkMetadataSerializer(serializers.Serializer):
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


@extend_schema_serializer(component_name="WorkUpload")
class WorkUploadRequestSerializer(serializers.Serializer):
    """multipart/form-data: either `file` with the metadata fields, or `files` (several)
    with `metadata`, a JSON list of one object per file, in the same order."""

    file = serializers.FileField(required=False, help_text="One image (single upload).")
    title = serializers.CharField(required=False, help_text="Single upload: the title.")
    description = serializers.CharField(required=False, help_text="Single upload.")
    creation_date = serializers.CharField(required=False, help_text="Single upload.")
    tags = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Single upload: repeat the field, or separate tags with commas.",
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Batch upload: the images (repeat the field).",
    )
    metadata = serializers.CharField(
        required=False,
        help_text="Batch upload: JSON list, one object per file in order, e.g. "
        '`[{"title": "Dawn", "tags": ["sea"]}, {"title": "Dusk"}]`.',
    )


class BatchMetadataSerializer(serializers.Serializer):
    metadata = WorkMetadataSerializer(many=True)


@extend_schema_serializer(component_name="OfferTerms")
class OfferRequestSerializer(serializers.Serializer):
    price_usd = UsdField(help_text="Your price per download in USD, up to 6 decimals.")
    allow_research = serializers.BooleanField(default=True, help_text="Research use.")
    allow_commercial = serializers.BooleanField(default=False, help_text="Commercial use.")
    terms_version = serializers.CharField(
        max_length=32, help_text="The training-license version you accept (the current one)."
    )


@extend_schema_serializer(component_name="Declare")
class DeclarationRequestSerializer(serializers.Serializer):
    statement = serializers.CharField(
        max_length=10_000, help_text="How you own the work (you made it, you hold the rights)."
    )
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Optional evidence files of any type (repeat the field); kept private.",
    )


@extend_schema_serializer(component_name="DirectUploadStart")
class DirectUploadRequestSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=255, help_text="e.g. `dawn.tif`.")
    size = serializers.IntegerField(min_value=1, help_text="The file's exact size in bytes.")
    content_type = serializers.CharField(max_length=100, help_text="e.g. `image/tiff`.")


# --- response serializers ---------------------------------------------------------------


class OfferSerializer(serializers.Serializer):
    price_usd = serializers.SerializerMethodField(help_text="Your price per download, USD.")
    allow_research = serializers.BooleanField()
    allow_commercial = serializers.BooleanField()
    terms_version = serializers.CharField(source="terms.version")
    created_at = serializers.DateTimeField(help_text="Since when this offer stands.")

    def get_price_usd(self, offer) -> str:
        return usd(offer.price_micros)


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
        "`matches_base_set`, `matches_other_owner`, `classifier`.",
    )
    declaration = serializers.SerializerMethodField(help_text="The latest declaration.")
    offer = serializers.SerializerMethodField(help_text="The current offer, if on offer.")
    thumbnail_url = serializers.SerializerMethodField(help_text="A short-lived URL.")
    mime_type = serializers.CharField(source="asset.mime_type")
    width = serializers.IntegerField(source="asset.width")
    height = serializers.IntegerField(source="asset.height")
    byte_size = serializers.IntegerField(source="asset.byte_size")
    sha256 = serializers.CharField(source="asset.sha256", help_text="Of the stored file.")
    created_at = serializers.DateTimeField()

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
        key = work.asset.thumbnail_key
        return storages["default"].url(key) if key else None


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


# --- reading uploads --------------------------------------------------------------------


class CappedUploadHandler(FileUploadHandler):
    """Reads each file of the request only up to its limit: a larger file is dropped while
    it arrives (and named in the 413), files under other names are not kept at all."""

    def __init__(self, request, limits: dict[str, int]):
        super().__init__(request)
        self.limits, self.limit, self.too_large = limits, 0, []

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name not in self.limits:
            raise SkipFile
        self.limit = self.limits[field_name]

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large.append((self.field_name, self.file_name, self.limit))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


class CappedUploadsMixin:
    """Views that take files: refuse a body larger than all allowed files at once before
    reading it, and cap every file while it is read."""

    upload_limits: dict[str, str] = {}  # form field -> setting holding its limit
    upload_max_files = "UPLOAD_BATCH_MAX_FILES"

    def initialize_request(self, request, *args, **kwargs):
        self.capped = CappedUploadHandler(
            request, {field: getattr(settings, name) for field, name in self.upload_limits.items()}
        )
        request.upload_handlers.insert(0, self.capped)
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            most = max(getattr(settings, name) for name in self.upload_limits.values())
            cap = most * getattr(settings, self.upload_max_files) + 1024 * 1024
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if length > cap:
                raise uploads.TooLarge(f"The request is {length} bytes; at most {cap} are read.")
        super().initial(request, *args, **kwargs)

    def refuse_oversized_files(self) -> None:
        """Parse the body now (files are capped while it is read) and refuse it if a file
        was too large or there are far too many."""
        try:
            self.request.data  # noqa: B018
        except TooManyFilesSent as exc:
            most = getattr(settings, self.upload_max_files)
            raise DomainError(
                f"At most {most} files in one request.", code="too_many_files", fields={}
            ) from exc
        if self.capped.too_large:
            fields: dict[str, list[str]] = {}
            for field, name, limit in self.capped.too_large:
                fields.setdefault(field, []).append(f"{name}: larger than {limit} bytes.")
            message = " ".join(m for ms in fields.values() for m in ms)
            raise uploads.TooLarge(f"{message} Nothing was stored.", fields=fields)


def _batch(request) -> list[uploads.IncomingFile]:
    single, batch = request.FILES.getlist("file"), request.FILES.getlist("files")
    if single and batch:
        raise DomainError(
            "Send one `file` or several `files`, not both.",
            code="invalid",
            fields={"files": ["Not with `file`."]},
        )
    if len(single) > 1:
        raise DomainError(
            "Send several images as `files` (with `metadata`).",
            code="invalid",
            fields={"file": ["One file only; use `files` for several."]},
        )
    if single:
        meta = WorkMetadataSerializer(data=request.data)
        meta.is_valid(raise_exception=True)
        return [uploads.IncomingFile("file", single[0].name, single[0], meta.text())]
    if not batch:
        raise DomainError(
            "Send an image as `file`, or several as `files`.",
            code="invalid",
            fields={"file": ["No file was sent."]},
        )
    try:
        items = json.loads(request.data.get("metadata") or "null")
    except ValueError:
        items = None
    if not isinstance(items, list) or len(items) != len(batch):
        raise DomainError(
            f"`metadata` must be a JSON list with one object per file ({len(batch)}).",
            code="invalid",
            fields={"metadata": [f"A JSON list of {len(batch)} objects."]},
        )
    meta = BatchMetadataSerializer(data={"metadata": items})
    meta.is_valid(raise_exception=True)
    return [
        uploads.IncomingFile(f"files.{i}", f.name, f, WorkText(**{**m, "tags": tuple(m["tags"])}))
        for i, (f, m) in enumerate(zip(batch, meta.validated_data["metadata"], strict=True))
    ]


# --- views ------------------------------------------------------------------------------

WORK_ERRORS = {401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN, 404: docs.NOT_FOUND}


@extend_schema(tags=["works"])
class WorkListView(CappedUploadsMixin, ListAPIView):
    permission_classes = [IsRightsHolder]
    serializer_class = WorkSerializer
    upload_limits = {"file": "UPLOAD_MAX_BYTES", "files": "UPLOAD_MAX_BYTES"}

    def get_queryset(self):
        return uploads.works_of_owner(self.request.user)

    @extend_schema(
        summary="Your works",
        description="Your uploads, newest first, with status, hold, declaration and offer.",
        responses={
            200: WorkSerializer(many=True),
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Upload works",
        description="multipart/form-data. One image as `file` with `title` (required), "
        "`description`, `creation_date` and `tags`; or up to UPLOAD_BATCH_MAX_FILES images as "
        "`files` with `metadata`, a JSON list of one object per file. JPEG, PNG, WebP or TIFF "
        "whose name matches its type, at most UPLOAD_MAX_BYTES and UPLOAD_MAX_PIXELS. Each "
        "file is verified before anything is stored, and the stored file carries no EXIF, "
        "GPS or XMP. **A batch is all or nothing**: if any file is refused, none is stored "
        "and `fields` names each refused file (`files.2`), so you fix those and send the "
        "batch again. A file matching the public-domain base set or another person's work "
        "is accepted but held (`hold`) until a moderator reviews it. " + UPLOAD_ERRORS,
        request={"multipart/form-data": WorkUploadRequestSerializer},
        responses={
            201: WorkUploadResponseSerializer,
            400: docs.error("A file was refused, or the metadata is invalid; nothing stored."),
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
            409: docs.error(
                "`already_uploaded`: you uploaded this file already (work id in the message)."
            ),
            413: docs.error("`file_too_large`: a file or the request is over the limit."),
        },
    )
    def post(self, request):
        self.refuse_oversized_files()
        works = uploads.works_upload(owner=request.user, files=_batch(request))
        detail = [uploads.work_detail(owner=request.user, work_id=w.pk) for w in works]
        body = WorkUploadResponseSerializer({"works": detail}).data
        return Response(body, status=status.HTTP_201_CREATED)


def _work_response(request, work_id: int, code: int = 200) -> Response:
    work = uploads.work_detail(owner=request.user, work_id=work_id)
    return Response(WorkSerializer(work).data, status=code)


@extend_schema(tags=["works"])
class WorkDetailView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(summary="One of your works", responses={200: WorkSerializer, **WORK_ERRORS})
    def get(self, request, work_id: int):
        return _work_response(request, work_id)

    @extend_schema(
        summary="Edit a work's description",
        description="Change title, description, creation_date or tags; buyers' search "
        "sees the new text at once.",
        request=WorkMetadataSerializer,
        responses={200: WorkSerializer, 400: docs.BAD_REQUEST, **WORK_ERRORS},
    )
    def patch(self, request, work_id: int):
        serializer = WorkMetadataSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        if not changes:
            raise DomainError(
                "Send at least one of title, description, creation_date, tags.",
                code="invalid",
                fields={},
            )
        changes = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
        uploads.work_update(owner=request.user, work_id=work_id, **changes)
        return _work_response(request, work_id)


@extend_schema(tags=["works"])
class WorkOfferView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        summary="Offer a work",
        description="Set (or change) the price per download and the uses allowed, accepting "
        "the current training-license version (GET /api/v1/terms/current/). A new price "
        "applies to future licenses only. The work is published once your ownership "
        "declaration is accepted and it has no hold.",
        request=OfferRequestSerializer,
        responses={
            200: WorkSerializer,
            400: docs.BAD_REQUEST,
            409: docs.error("`terms_outdated`: accept the current terms version."),
            **WORK_ERRORS,
        },
    )
    def put(self, request, work_id: int):
        serializer = OfferRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        offers.offer_set(
            owner=request.user,
            work_id=work_id,
            price_micros=data["price_usd"],
            allow_research=data["allow_research"],
            allow_commercial=data["allow_commercial"],
            terms_version=data["terms_version"],
        )
        return _work_response(request, work_id)

    @extend_schema(
        summary="Withdraw a work",
        description="Stop offering it: no new licenses; licenses already bought stay valid.",
        request=None,
        responses={200: WorkSerializer, 400: docs.error("`not_offered`."), **WORK_ERRORS},
    )
    def delete(self, request, work_id: int):
        offers.offer_withdraw(owner=request.user, work_id=work_id)
        return _work_response(request, work_id)


@extend_schema(tags=["works"])
class WorkDeclarationView(CappedUploadsMixin, APIView):
    permission_classes = [IsRightsHolder]
    upload_limits = {"evidence": "EVIDENCE_MAX_BYTES"}
    upload_max_files = "EVIDENCE_MAX_FILES"

    @extend_schema(
        summary="Declare ownership of a work",
        description="A statement and up to EVIDENCE_MAX_FILES evidence files (any type, at "
        "most EVIDENCE_MAX_BYTES each; private: only moderators see them). Trusted rights "
        "holders are accepted at once; otherwise a moderator decides.",
        request={
            "multipart/form-data": DeclarationRequestSerializer,
            "application/json": DeclarationRequestSerializer,
        },
        responses={
            201: DeclarationSerializer,
            400: docs.BAD_REQUEST,
            409: docs.error(
                "`declaration_pending` (one waits for review) or `declaration_accepted`."
            ),
            413: docs.error("`file_too_large`: an evidence file is over the limit."),
            **WORK_ERRORS,
        },
    )
    def post(self, request, work_id: int):
        self.refuse_oversized_files()
        serializer = DeclarationRequestSerializer(
            data={"statement": request.data.get("statement", empty)}
        )
        serializer.is_valid(raise_exception=True)
        evidence = [declarations.EvidenceFile(f.name, f) for f in request.FILES.getlist("evidence")]
        declaration = declarations.declaration_make(
            owner=request.user,
            work_id=work_id,
            statement=serializer.validated_data["statement"],
            evidence=evidence,
        )
        return Response(DeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["works"])
class DirectUploadView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        summary="Start a direct upload",
        description="For large files (up to DIRECT_UPLOAD_MAX_BYTES): returns a presigned S3 "
        "form for exactly this file. POST the `fields` and then the file (as `file`) to "
        "`url`, then confirm with the work's metadata. Needs S3 storage: without it (the "
        "demo) the answer is 409 `direct_upload_unavailable`; use POST /api/v1/works/.",
        request=DirectUploadRequestSerializer,
        responses={
            201: DirectUploadSerializer,
            400: docs.BAD_REQUEST,
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
            409: docs.error("`direct_upload_unavailable`: the server has no S3 storage."),
            413: docs.error("`file_too_large`."),
        },
    )
    def post(self, request):
        serializer = DirectUploadRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload, form = uploads.direct_upload_start(owner=request.user, **serializer.validated_data)
        body = {
            "id": upload.pk,
            "url": form["url"],
            "fields": form["fields"],
            "expires_at": upload.expires_at,
            "size": upload.size,
            "content_type": upload.content_type,
        }
        return Response(DirectUploadSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["works"])
class DirectUploadConfirmView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        summary="Confirm a direct upload",
        description="The posted file is verified exactly like a multipart upload and becomes "
        "a work; the incoming object is deleted. Only the uploader can confirm, once, before "
        "`expires_at`. " + UPLOAD_ERRORS,
        request=WorkMetadataSerializer,
        responses={
            201: WorkSerializer,
            400: docs.error("The file was refused (and deleted) or the metadata is invalid."),
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
            404: docs.error("No upload of yours has this id."),
            409: docs.error(
                "`already_confirmed`, `upload_missing` (not posted yet), "
                "`already_uploaded` or `direct_upload_unavailable`."
            ),
            410: docs.error("`upload_expired`: start a new upload."),
            413: docs.error("`file_too_large`."),
        },
    )
    def post(self, request, upload_id):
        meta = WorkMetadataSerializer(data=request.data)
        meta.is_valid(raise_exception=True)
        work = uploads.direct_upload_confirm(
            owner=request.user, upload_id=upload_id, text=meta.text()
        )
        return _work_response(request, work.pk, code=status.HTTP_201_CREATED)


@extend_schema(tags=["works"])
class CurrentTermsView(APIView):
    @extend_schema(
        summary="The current training license",
        description="The license text offers accept; send its `version` when offering.",
        responses={200: TermsSerializer, 401: docs.UNAUTHENTICATED},
    )
    def get(self, request):
        return Response(TermsSerializer(offers.current_terms()).data)
