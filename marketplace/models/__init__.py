"""The marketplace's models: accounts, rights holders' works and offers, buyers'
collections and license grants; revocations, webhooks and receipts."""

from catalog.models import Use
from marketplace.models.accounts import SELF_SERVICE_ROLES, Role, User
from marketplace.models.buying import (
    Collection,
    CollectionItem,
    DownloadGrant,
    ManifestExport,
    Purpose,
    SavedThresholds,
    ShardExport,
    ShardSample,
)
from marketplace.models.notifications import Notification
from marketplace.models.requests import IdempotentRequest
from marketplace.models.revocations import (
    STILL_VALID_KINDS,
    Receipt,
    ReceiptKey,
    Revocation,
    RevocationKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from marketplace.models.served import OfferFile
from marketplace.models.tokens import ApiToken, TokenScope
from marketplace.models.uploads import DirectUpload
from marketplace.models.works import (
    Offer,
    OfferUse,
    OwnershipDeclaration,
    RightsHolderProfile,
    TermsVersion,
    Work,
)

__all__ = [
    "SELF_SERVICE_ROLES",
    "STILL_VALID_KINDS",
    "ApiToken",
    "Collection",
    "CollectionItem",
    "DirectUpload",
    "DownloadGrant",
    "IdempotentRequest",
    "ManifestExport",
    "Notification",
    "Offer",
    "OfferFile",
    "OfferUse",
    "OwnershipDeclaration",
    "Purpose",
    "Receipt",
    "ReceiptKey",
    "Revocation",
    "RevocationKind",
    "RightsHolderProfile",
    "Role",
    "SavedThresholds",
    "ShardExport",
    "ShardSample",
    "TermsVersion",
    "TokenScope",
    "Use",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Work",
]
