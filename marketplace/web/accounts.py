"""Accounts on the site: sign up, sign in and out, password reset by email (Django's session
auth and CSRF), and the API token page. Sign-in attempts share the API's rate."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from marketplace import services
from marketplace.errors import DomainError
from marketplace.models import SELF_SERVICE_ROLES, Role
from marketplace.web.forms import add_domain_error
from marketplace.web.throttle import AuthThrottledMixin, auth_attempt_refused

ROLE_HELP = {
    Role.RIGHTS_HOLDER: "Upload your own work, set its price and see how it is used.",
    Role.BUYER: "Find consented images for training, with licenses and manifests.",
}


class SignUpForm(forms.Form):
    role = forms.ChoiceField(
        label="I am",
        choices=[(role.value, f"{role.label}: {ROLE_HELP[role]}") for role in SELF_SERVICE_ROLES],
        widget=forms.RadioSelect,
    )
    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. Shown nowhere publicly.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        help_text="For password resets, payout notices and takedown notices.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=" ".join(password_validators_help_texts()),
    )


@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        if refused := auth_attempt_refused(request):
            return refused
        if form.is_valid():
            try:
                user, _ = services.user_register(**form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome, {user.username}: your account is ready.")
                return redirect(_start_page(user))
    status = 400 if form.errors else 200
    return render(request, "web/accounts/sign_up.html", {"form": form}, status=status)


def _start_page(user) -> str:
    if Role.RIGHTS_HOLDER in user.roles:
        return reverse("web:works")
    return reverse("web:home")


class SignInForm(auth_views.AuthenticationForm):
    error_messages = {
        **auth_views.AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match an account. Both are "
        "case-sensitive.",
    }


class SignInView(AuthThrottledMixin, auth_views.LoginView):
    template_name = "web/accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return _start_page(self.request.user)


class SignOutView(auth_views.LogoutView):
    next_page = reverse_lazy("web:home")


class PasswordResetView(AuthThrottledMixin, auth_views.PasswordResetView):
    template_name = "web/accounts/password_reset.html"
    email_template_name = "web/accounts/password_reset_email.txt"
    subject_template_name = "web/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("web:password-reset-sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "web/accounts/password_reset_sent.html"


class PasswordResetConfirmView(AuthThrottledMixin, auth_views.PasswordResetConfirmView):
    template_name = "web/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("web:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "web/accounts/password_reset_done.html"


@login_required
@require_http_methods(["GET", "POST"])
def token(request):
    """See the API token; rotate it (the old one stops working at once)."""
    if request.method == "POST":
        if refused := auth_attempt_refused(request):
            return refused
        services.api_token_rotate_for_page(user=request.user)
        messages.success(request, "A new token is ready. The old one no longer works.")
        return redirect("web:token")
    current = services.api_token_for_page(user=request.user)
    return render(request, "web/accounts/token.html", {"token": current})
