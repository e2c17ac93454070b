from django.contrib import admin
from django.db import models

from catalog.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "creator", "source", "license", "status", "created_at"]
    list_filter = ["status", "license", "source"]
    search_fields = ["title", "creator", "=source_record_id", "=sha256"]
    readonly_fields = ["created_at", "updated_at"]
    # The catalog holds millions of rows: no COUNT(*) on every page view.
    show_full_result_count = False
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        ("Record", {"fields": ["title", "creator", "creator_url", "description", "creation_date"]}),
        (
            "Source",
            {
                "fields": [
                    "source",
                    "source_record_id",
                    "landing_url",
                    "original_url",
                    "source_uploaded_at",
                ]
            },
        ),
        ("License and status", {"fields": ["license", "status"]}),
        (
            "File",
            {
                "fields": [
                    "mime_type",
                    "width",
                    "height",
                    "byte_size",
                    "sha256",
                    "perceptual_hash",
                    "original_key",
                    "thumbnail_key",
                ]
            },
        ),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]
