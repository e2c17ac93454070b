"""Django's admin on the marketplace's admin site (staff two-factor: marketplace.admin_site).
A module of its own: INSTALLED_APPS imports it before any model exists."""

from django.contrib.admin.apps import AdminConfig


class MarketplaceAdminConfig(AdminConfig):
    default_site = "marketplace.admin_site.MarketplaceAdminSite"
