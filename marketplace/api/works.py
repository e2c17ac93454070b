"""Rights holders' endpoints: upload works (multipart, or direct to S3 and confirm), list
and edit them, offer and withdraw them, declare ownership; and the current license terms.
The work is done in marketplace.uploads, .declarations and .offers; these only translate."""

import json

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.fields import empty
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors import WorkText
from common.errors import DomainError
from marketplace import declarations, offers, uploads
from marketplace.api import docs
from marketplace.api.parsers import FILE_PARSERS
from marketplace.api.permissions import IsRightsHolder
from marketplace.api.work_serializers import (
    BatchMetadataSerializer,
    DeclarationRequestSerializer,
    DeclarationSerializer,
    DeclarationStatementSerializer,
    DirectUploadRequestSerializer,
    DirectUploadSerializer,
    OfferRequestSerializer,
    TermsSerializer,
    WorkMetadataSerializer,
    WorkSerializer,
    WorkUploadRequestSerializer,
    WorkUploadResponseSerializer,
)

UPLOAD_ERRORS = (
    "Codes: `empty_file`, `file_too_large` (413), `unsupported_type` (SVG, GIF, other "
    "types), `not_an_image`, `extension_mismatch` (the name lies about the type), "
    "`corrupt_image` (truncated or damaged), `image_too_large` (pixels: decompression "
    "bombs), `animated`, `multi_page`, `cmyk`, `polyglot` (a ZIP, script or other data "
    "hidden in or after the image); `upload_refused` when files fail for different reasons."
)


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

    parser_classes = FILE_PARSERS
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
            text = self.request.POST  # the form's text fields (reading it reads the body)
        except TooManyFilesSent as exc:
            most = getattr(settings, self.upload_max_files)
            raise DomainError(
                ngettext("At most %(n)d file in one request.",
                         "At most %(n)d files in one request.", most) % {"n": most},
                code="too_many_files", fields={},
            ) from exc  # fmt: skip
        for name in self.upload_limits:
            if name in text:  # a text field where the form should carry a file
                message = f"`{name}` must be a file, not text."
                raise DomainError(message, code="invalid", fields={name: ["Not a file."]})
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
    except (ValueError, RecursionError):  # not JSON, or nested past what Python parses
        items = None
    if not isinstance(items, list) or len(items) != len(batch):
        raise DomainError(
            f"`metadata` must be a JSON list with one object per file ({len(batch)}).",
            code="invalid",
            fields={
                "metadata": [
                    ngettext(
                        "A JSON list of %(n)d object.", "A JSON list of %(n)d objects.", len(batch)
                    )
                    % {"n": len(batch)}
                ]
            },
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
        body = WorkUploadResponseSerializer({"works": detail}, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


def _work_response(request, work_id: int, code: int = 200) -> Response:
    work = uploads.work_detail(owner=request.user, work_id=work_id)
    return Response(WorkSerializer(work, context={"request": request}).data, status=code)


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
        description="Set (or change) the uses allowed, each with its own price per download "
        "(a use left out is not allowed), and the purposes allowed, accepting the current "
        "training-license version (GET /api/v1/terms/current/). New uses and prices apply "
        "to future licenses only. The work is published once your ownership "
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
            uses=data["uses"],
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
            "application/json": DeclarationStatementSerializer,
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
        serializer = DeclarationStatementSerializer(
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
