"""Every shard export's samples moved from its `shards` list into ShardSample rows; each
shard's entry keeps their number (`sample_count`). An expired export's samples are not
moved (expiry deletes them now): its entries keep only the number. Reversed, the rows go
back into the lists (an expired export's lists come back empty)."""

from django.db import migrations

BATCH = 10_000


def _exports(apps):
    return apps.get_model("marketplace", "ShardExport").objects.order_by("pk").iterator(100)


def samples_to_rows(apps, schema_editor):
    sample_model = apps.get_model("marketplace", "ShardSample")
    for export in _exports(apps):
        if not any("samples" in entry for entry in export.shards):
            continue
        rows = []
        for entry in export.shards:
            samples = entry.pop("samples", [])
            entry["sample_count"] = len(samples)
            if export.state == "expired":
                continue
            number = int(entry["name"].removeprefix("shard-").removesuffix(".tar"))
            rows += (
                sample_model(export_id=export.pk, shard=number, position=position,
                             asset_id=s["asset_id"], grant_id=s["grant_id"], sha256=s["sha256"])
                for position, s in enumerate(samples)
            )  # fmt: skip
        sample_model.objects.bulk_create(rows, batch_size=BATCH)
        export.save(update_fields=["shards"])


def rows_to_samples(apps, schema_editor):
    sample_model = apps.get_model("marketplace", "ShardSample")
    for export in _exports(apps):
        if not any("sample_count" in entry for entry in export.shards):
            continue
        listed = {}
        for shard, asset_id, grant_id, sha256 in (
            sample_model.objects.filter(export_id=export.pk)
            .order_by("shard", "position")
            .values_list("shard", "asset_id", "grant_id", "sha256")
            .iterator(BATCH)
        ):
            listed.setdefault(shard, []).append(
                {"key": f"asset-{asset_id}", "asset_id": asset_id, "grant_id": grant_id,
                 "sha256": sha256}
            )  # fmt: skip
        for entry in export.shards:
            entry.pop("sample_count")
            number = int(entry["name"].removeprefix("shard-").removesuffix(".tar"))
            entry["samples"] = listed.get(number, [])
        export.save(update_fields=["shards"])
        sample_model.objects.filter(export_id=export.pk).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0021_shard_samples")]

    operations = [migrations.RunPython(samples_to_rows, rows_to_samples, elidable=False)]
