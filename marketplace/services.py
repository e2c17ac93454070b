"""The marketplace's writes, one place to find each: what the API, the web pages, the
admin, commands and tasks call to change anything. Each is defined in the module named
beside it; this list is the map (docs/ARCHITECTURE.md has the same one).

The product's core transaction is `downloads_grant` (marketplace.downloads): it licenses
assets for a buyer in one database transaction: quota, grants, the charge on the ledger
(through billing's services) and the audit events."""

from marketplace.accounts import role_group, role_groups_sync, user_register
from marketplace.collections import (
    collection_create,
    collection_delete,
    collection_update,
    items_add,
    items_remove,
)
from marketplace.declarations import declaration_decide, declaration_make
from marketplace.downloads import downloads_grant
from marketplace.manifests import manifest_build, manifest_request
from marketplace.offers import offer_set, offer_withdraw, terms_make_current
from marketplace.receipts import receipt_issue, receipt_key_rotate
from marketplace.revocations import revocations_record
from marketplace.served import offer_file_make, offer_files_remake
from marketplace.tokens import token_create, token_obtain, token_revoke, token_rotate
from marketplace.uploads import (
    direct_upload_confirm,
    direct_upload_start,
    direct_uploads_clear,
    work_delete,
    work_hold_release,
    work_update,
    works_upload,
)
from marketplace.webhooks import (
    webhook_deliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_redeliver,
    webhooks_sweep,
)

__all__ = [
    "collection_create", "collection_delete", "collection_update", "declaration_decide",
    "declaration_make", "direct_upload_confirm", "direct_upload_start", "direct_uploads_clear",
    "downloads_grant", "items_add", "items_remove", "manifest_build", "manifest_request",
    "offer_file_make", "offer_files_remake", "offer_set", "offer_withdraw", "receipt_issue",
    "receipt_key_rotate", "revocations_record", "role_group", "role_groups_sync",
    "terms_make_current", "token_create", "token_obtain", "token_revoke", "token_rotate",
    "user_register", "webhook_deliver", "webhook_endpoint_create", "webhook_endpoint_delete",
    "webhook_redeliver", "webhooks_sweep", "work_delete", "work_hold_release", "work_update",
    "works_upload",
]  # fmt: skip
