"""Uploading works from the site: the page (drag and drop or a file picker, a title and tags
per file, a progress bar per file) and the endpoints its script posts to. A batch goes
through the same service as the API's and is all or nothing; large files go straight to
S3 with a presigned form where S3 is configured, then are confirmed.

Answers are JSON in the API's one error body, so the page shows the API's messages."""

import json

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from catalog.selectors import MAX_TAGS, WorkText, creation_date_clean, tags_clean
from common.errors import DomainError
from marketplace import uploads
from marketplace.api.errors import error_body
from marketplace.api.works import CappedUploadHandler
from marketplace.web.access import rights_holder_required


@rights_holder_required
@require_GET
def upload_page(request):
    context = {
        "max_files": settings.UPLOAD_BATCH_MAX_FILES,
        "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "direct": uploads.direct_upload_available(),
        "direct_max_mb": settings.DIRECT_UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_tags": MAX_TAGS,
        "config": {
            "maxBytes": settings.UPLOAD_MAX_BYTES,
            "directMaxBytes": settings.DIRECT_UPLOAD_MAX_BYTES
            if uploads.direct_upload_available()
            else 0,
            "maxFiles": settings.UPLOAD_BATCH_MAX_FILES,
            "batchUrl": reverse("web:upload-batch"),
            "directStartUrl": reverse("web:upload-direct-start"),
            "worksUrl": reverse("web:works"),
        },
    }
    return render(request, "web/works/upload.html", context)


def _error(error: DomainError) -> JsonResponse:
    return JsonResponse(
        error_body(error.code, error.message, error.fields), status=error.status_code
    )


def _text(item: dict, field: str) -> WorkText:
    """One file's details as the page sends them, checked like the API's."""
    title = str(item.get("title") or "").strip()
    errors = {}
    if not title:
        errors[field] = ["Give this file a title."]
    elif len(title) > 500:
        errors[field] = ["A title is at most 500 characters."]
    try:
        tags = tags_clean(str(item.get("tags") or "").split(","))
        made = creation_date_clean(str(item.get("creation_date") or ""))
    except ValueError as exc:
        errors.setdefault(field, []).append(str(exc))
        tags, made = (), ""
    if errors:
        raise DomainError(" ".join(m for ms in errors.values() for m in ms), code="invalid",
                          fields=errors)  # fmt: skip
    return WorkText(title=title, creation_date=made, tags=tags)


def _created(request, works) -> JsonResponse:
    n = len(works)
    messages.success(
        request,
        f"{n} work{'s' if n != 1 else ''} uploaded. Next: offer each one and declare that you "
        "own it.",
    )
    return JsonResponse(
        {
            "works": [
                {"id": w.pk, "title": w.asset.title, "url": reverse("web:work", args=[w.pk])}
                for w in works
            ],
            "next": reverse("web:works"),
        },
        status=201,
    )


@csrf_exempt  # checked below, once the capped upload handler is in place
@require_POST
def upload_batch(request):
    """`files` (several) and `metadata`: a JSON list of {title, tags, creation_date}."""
    handler = CappedUploadHandler(request, {"files": settings.UPLOAD_MAX_BYTES})
    request.upload_handlers.insert(0, handler)
    return _upload_batch(request, handler)


@csrf_protect
@rights_holder_required
def _upload_batch(request, handler):
    try:
        files = request.FILES.getlist("files")
        if handler.too_large:
            fields = {}
            for field, name, limit in handler.too_large:
                fields.setdefault(field, []).append(f"{name}: larger than {limit} bytes.")
            raise uploads.TooLarge(
                " ".join(m for ms in fields.values() for m in ms) + " Nothing was stored.",
                fields=fields,
            )
        try:
            items = json.loads(request.POST.get("metadata") or "null")
        except ValueError:
            items = None
        if (
            not isinstance(items, list)
            or len(items) != len(files)
            or not all(isinstance(item, dict) for item in items)
        ):
            raise DomainError("Send one set of details per file.", code="invalid",
                              fields={"metadata": ["One object per file."]})  # fmt: skip
        incoming = []
        for i, (upload, item) in enumerate(zip(files, items, strict=True)):
            incoming.append(uploads.IncomingFile(f"files.{i}", upload.name, upload,
                                                 _text(item, f"files.{i}")))  # fmt: skip
        works = uploads.works_upload(owner=request.user, files=incoming)
    except DomainError as error:
        return _error(error)
    return _created(request, works)


@require_POST
@csrf_protect
@rights_holder_required
def upload_direct_start(request):
    """A presigned S3 form for one large file (JSON body: filename, size, content_type)."""
    try:
        body = json.loads(request.body or b"{}")
        size = int(body.get("size"))
        upload, form = uploads.direct_upload_start(
            owner=request.user,
            filename=str(body.get("filename", ""))[:255],
            size=size,
            content_type=str(body.get("content_type", ""))[:100],
        )
    except (ValueError, TypeError):
        return JsonResponse(error_body("invalid", "Send filename, size and content_type."),
                            status=400)  # fmt: skip
    except DomainError as error:
        return _error(error)
    confirm = reverse("web:upload-direct-confirm", args=[upload.pk])
    return JsonResponse({"url": form["url"], "fields": form["fields"], "confirm": confirm},
                        status=201)  # fmt: skip


@require_POST
@csrf_protect
@rights_holder_required
def upload_direct_confirm(request, upload_id):
    """The file is in S3: verify it like any upload and make it a work."""
    try:
        try:
            item = json.loads(request.body or b"{}")
        except ValueError:
            item = None
        if not isinstance(item, dict):
            raise DomainError("Send the file's details as JSON.", code="invalid")
        work = uploads.direct_upload_confirm(
            owner=request.user, upload_id=upload_id, text=_text(item, "file")
        )
    except DomainError as error:
        return _error(error)
    return _created(request, [uploads.work_detail(owner=request.user, work_id=work.pk)])
