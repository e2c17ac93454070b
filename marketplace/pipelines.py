"""What a buyer's Pipelines page shows: where their latest manifest and shard export stand,
and how many webhook endpoints and working API tokens they have (four small queries)."""

from dataclasses import dataclass

from marketplace.manifests import manifests_of
from marketplace.models import ManifestExport, ShardExport
from marketplace.shards import shard_exports_of
from marketplace.tokens import tokens_of
from marketplace.webhooks import webhook_endpoints_of


@dataclass(frozen=True)
class PipelineOverview:
    latest_manifest: ManifestExport | None
    latest_shard_export: ShardExport | None
    webhook_endpoints: int
    api_tokens: int


def pipeline_overview(buyer) -> PipelineOverview:
    return PipelineOverview(
        latest_manifest=manifests_of(buyer).first(),
        # Not the shards' and plan's JSON: the page shows only the state and the count.
        latest_shard_export=shard_exports_of(buyer)
        .only("pk", "state", "assets", "created_at")
        .first(),
        webhook_endpoints=webhook_endpoints_of(buyer).count(),
        api_tokens=tokens_of(buyer).count(),
    )
