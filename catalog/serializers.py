from rest_framework import serializers

from catalog.models import Asset


class AssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = [
            "id",
            "source",
            "source_record_id",
            "title",
            "creator",
            "creator_url",
            "description",
            "creation_date",
            "width",
            "height",
            "mime_type",
            "license",
            "landing_url",
            "original_url",
            "created_at",
        ]
        read_only_fields = fields
