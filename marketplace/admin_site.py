"""The Django admin, with a second factor for staff where STAFF_REQUIRE_2FA is on (always in
production): a staff account signs in with its password and a code from its authenticator
app (or one of its recovery codes), and a session signed in without one does not reach
the admin. Devices are enrolled with `manage.py enrol_staff_otp`."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


def second_factor_required() -> bool:
    return settings.STAFF_REQUIRE_2FA


class StaffSignInForm(OTPAdminAuthenticationForm):
    """Username, password and a code on one form: without a device chosen from the list, a
    six-digit code is checked against the authenticator app and anything else against the
    recovery codes (django-otp would ask to choose a device first)."""

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            token = (self.cleaned_data.get("otp_token") or "").strip()
            model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
            device = model.objects.devices_for_user(user, confirmed=True).first()
        return device


class MarketplaceAdminSite(admin.AdminSite):
    @property
    def login_form(self):
        return StaffSignInForm if second_factor_required() else AdminAuthenticationForm

    @property
    def login_template(self):
        return OTPAdminSite.login_template if second_factor_required() else None

    def has_permission(self, request) -> bool:
        allowed = super().has_permission(request)
        if allowed and second_factor_required():
            return request.user.is_verified()
        return allowed
