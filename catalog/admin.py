import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from catalog.models import Asset, IngestRun, OptOut
from catalog.optout_formats import FORMATS, InvalidImport, detect_format
from catalog.optouts import InvalidOptOut, normalize_value, optouts_import
from catalog.releases import InvalidReleaseFilters, release_filters_clean, release_queue
from catalog.services import STAFF_EDITABLE, asset_staff_edit
from common.admin import action_selection, thumbnail_img
from common.errors import DomainError
from common.links import base_url
from provenance.models import DatasetRelease


class AssetForm(forms.ModelForm):
    creator_url = forms.URLField(
        required=False, max_length=2000, assume_scheme="https",
        help_text=Asset._meta.get_field("creator_url").help_text,
    )  # fmt: skip
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why you change it: kept in the audit log with the change (required to "
        "change the license).",
    )

    class Meta:
        model = Asset
        fields = list(STAFF_EDITABLE)

    def clean(self):
        cleaned = super().clean()
        if "license" in self.changed_data and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why the license changes: buyers rely on it.")
        return cleaned


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    """Staff correct a record's words and its license here, each change audited; the rest
    is written by ingest, cloning and the services, and decisions (takedown, restore, holds)
    are made in the review queue."""

    form = AssetForm
    list_display = ["id", "thumbnail", "title", "creator", "source", "license", "status",
                    "rejection_reason", "clone_state", "created_at"]  # fmt: skip
    list_filter = ["status", "license", "source", "clone_state", "rejection_reason"]
    search_fields = ["title", "creator", "=source_record_id", "=sha256"]
    readonly_fields = [
        "source", "source_record_id", "landing_url", "original_url", "source_uploaded_at",
        "embargo_until", "status", "rejection_reason", "canonical", "image", "clone_state",
        "clone_attempts", "clone_error", "mime_type", "width", "height", "byte_size", "sha256",
        "perceptual_hash", "original_key", "thumbnail_key", "created_at", "updated_at",
    ]  # fmt: skip
    raw_id_fields = ["canonical"]
    # The catalog holds millions of rows: no COUNT(*) on every page view.
    show_full_result_count = False
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="image")
    def thumbnail(self, asset: Asset) -> str:
        return thumbnail_img(asset.pk, asset.thumbnail_key, 64)

    @admin.display(description="image")
    def image(self, asset: Asset) -> str:
        return thumbnail_img(asset.pk, asset.thumbnail_key, 384)

    def save_model(self, request, obj, form, change):
        """Through the catalog's service: the change, who made it and why, in the audit log
        (and the search document refreshed, so an edited title is found by its words)."""
        changes = {name: form.cleaned_data[name] for name in form.changed_data
                   if name in STAFF_EDITABLE}  # fmt: skip
        asset_staff_edit(
            asset_id=obj.pk, changes=changes, staff=request.user,
            note=form.cleaned_data.get("note", ""),
        )  # fmt: skip

    fieldsets = [
        ("Record", {"fields": ["title", "creator", "creator_url", "description",
                               "creation_date", "institution", "tags"]}),
        ("Source", {"fields": ["source", "source_record_id", "landing_url", "original_url",
                               "source_uploaded_at", "embargo_until"]}),
        ("License and status", {"fields": ["license", "note", "status", "rejection_reason",
                                           "canonical"]}),
        ("File", {"fields": ["image", "clone_state", "clone_attempts", "clone_error", "mime_type",
                             "width", "height", "byte_size", "sha256", "perceptual_hash",
                             "original_key", "thumbnail_key"]}),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]  # fmt: skip


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    """Run reports are written by the runs themselves: read-only here."""

    list_display = ["started_at", "kind", "source", "seen", "accepted", "embargoed",
                    "rejected_total", "duplicates", "errors", "created", "updated",
                    "finished_at"]  # fmt: skip
    list_filter = ["kind", "source"]
    readonly_fields = ["kind", "source", "started_at", "finished_at", "seen", "accepted",
                       "embargoed", "duplicates", "errors", "created", "updated",
                       "rejected_by_reason", "error_list"]  # fmt: skip
    exclude = ["rejected", "error_samples"]

    @admin.display(description="rejected")
    def rejected_total(self, run: IngestRun) -> int:
        return run.rejected_total

    @admin.display(description="rejected, by reason")
    def rejected_by_reason(self, run: IngestRun) -> str:
        if not run.rejected:
            return "none"
        rows = sorted(run.rejected.items(), key=lambda item: -item[1])
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="first failures")
    def error_list(self, run: IngestRun) -> str:
        if not run.error_samples:
            return "none"
        items = format_html_join("", "<li>{}</li>", ((e,) for e in run.error_samples))
        return format_html("<ul>{}</ul>", items)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ["kind", "value", "note"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") and cleaned.get("value"):
            try:
                cleaned["value"] = normalize_value(cleaned["kind"], cleaned["value"])
            except InvalidOptOut as exc:
                self.add_error("value", str(exc))
        return cleaned


class OptOutImportForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 text, up to 10 MiB.")
    format = forms.ChoiceField(
        choices=[("", "tell from the file"), *((f, f) for f in FORMATS)],
        required=False,
        help_text="csv: kind,value[,note] rows; list: one URL or domain a line; dnt: a Do "
        "Not Train-style CSV with url/domain columns; ai.txt: the Spawning format.",
    )
    domain = forms.CharField(required=False, help_text="For ai.txt: the site it belongs to.")
    note = forms.CharField(required=False, max_length=200, help_text="Who asked, and how.")

    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MiB.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    form = OptOutForm
    list_display = ["kind", "value", "note", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "note"]
    change_list_template = "admin/catalog/optout/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="catalog_optout_import"), *super().get_urls()]

    def import_view(self, request):
        """Import a file of opt-outs in any format the command takes."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OptOutImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            text, data = form.cleaned_data["file"], form.cleaned_data
            fmt = data["format"] or detect_format(request.FILES["file"].name,
                                                   text.split("\n", 1)[0])  # fmt: skip
            try:
                result = optouts_import(lines=io.StringIO(text), fmt=fmt, domain=data["domain"],
                                        note=data["note"])  # fmt: skip
            except InvalidImport as exc:
                form.add_error("domain" if fmt == "ai.txt" else "format", str(exc))
            else:
                counts = f"{result.added} added, {result.already_present} already registered"
                messages.success(request, f"Opt-outs ({fmt}): {counts}.")
                for problem in result.invalid[:20]:
                    messages.warning(request, f"Skipped {problem}")
                if len(result.invalid) > 20:
                    messages.warning(request, f"... and {len(result.invalid) - 20} more skipped.")
                return redirect("admin:catalog_optout_changelist")
        context = {**self.admin_site.each_context(request), "form": form,
                   "opts": self.model._meta, "title": "Import opt-outs"}  # fmt: skip
        return TemplateResponse(request, "admin/catalog/optout/import.html", context)


class DatasetReleaseForm(forms.ModelForm):
    class Meta:
        model = DatasetRelease
        fields = ["name", "version", "description", "filters"]
        help_texts = {"filters": 'e.g. {"license": "cc0-1.0", "max_nsfw": 0.2}; {} for all.'}

    def clean_filters(self):
        try:
            return release_filters_clean(self.cleaned_data.get("filters"))
        except InvalidReleaseFilters as error:
            raise forms.ValidationError(
                [f"{name}: {m}" for name, found in error.fields.items() for m in found]
            ) from error


RELEASE_RESULTS = ["state", "error", "counts_table", "file_key", "sha256", "created_by",
                   "created_at", "built_at"]  # fmt: skip


@admin.register(DatasetRelease)
class DatasetReleaseAdmin(admin.ModelAdmin):
    """Dataset releases: adding one queues its build on a worker; the action queues builds
    again (after a failure, say). Read-only while building and once built (frozen)."""

    form = DatasetReleaseForm
    list_display = ["name", "version", "state", "total", "built_at", "created_by", "created_at"]
    list_filter = ["state"]
    search_fields = ["name", "version"]
    actions = ["build"]

    def get_fields(self, request, obj=None):
        return [*DatasetReleaseForm.Meta.fields, *(RELEASE_RESULTS if obj else [])]

    def get_readonly_fields(self, request, obj=None):
        return RELEASE_RESULTS if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.state in (obj.State.BUILDING, obj.State.DONE):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.state == obj.State.DONE:
            return False  # people may cite it: built releases stay
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)
        if not change:
            release_queue(release_id=obj.pk, base_url=base_url(request))

    @admin.display(description="assets")
    def total(self, release: DatasetRelease) -> str:
        total = release.counts.get("total")
        return "-" if total is None else f"{total:,}"

    @admin.display(description="counts")
    def counts_table(self, release: DatasetRelease) -> str:
        counts = release.counts
        if not counts:
            return "-"
        rows = [("all", f"{counts['total']:,}")]
        for group in ("by_source", "by_license"):
            rows += [(f"{group[3:]} {key}", f"{n:,}") for key, n in counts[group].items()]
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows)
        )

    @admin.action(description="Build the selected releases", permissions=["change"])
    def build(self, request, queryset) -> None:
        queued, refused = [], []
        for release in action_selection(self, request, queryset).order_by("pk"):
            try:
                release_queue(release_id=release.pk, base_url=base_url(request))
                queued.append(str(release))
            except DomainError as error:
                refused.append(error.message)
        if queued:
            self.message_user(request, f"Build queued: {', '.join(queued)}.")
        for message in refused:
            self.message_user(request, message, level=messages.WARNING)
