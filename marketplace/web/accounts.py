"""Accounts on the site: sign up, sign in and out, password reset by email (Django's session
auth and CSRF), and the API tokens page. Sign-in attempts share the API's rate."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.validators import MaxValueValidator
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import DomainError
from marketplace import accounts, tokens
from marketplace.models import SELF_SERVICE_ROLES, Role, TokenScope
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
                user, _ = accounts.user_register(**form.cleaned_data)
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


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use it, so you can tell your tokens apart (for example "
        "“training job on cluster A”).",
    )
    scope = forms.ChoiceField(
        label="It may",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="Give a program the least it needs: a training job that downloads what "
        "you licensed needs “download”, never “purchase”.",
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=1,
        help_text="It stops working after this many days.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.fields["expires_in_days"]
        days.max_value = settings.API_TOKEN_MAX_DAYS
        days.initial = settings.API_TOKEN_DEFAULT_DAYS
        days.widget.attrs.update(max=settings.API_TOKEN_MAX_DAYS)
        days.validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))


@login_required
@require_http_methods(["GET", "POST"])
def token(request):
    """The account's API tokens: create one (shown once, here, and never again), see the
    others by name and prefix, revoke one."""
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST":
        if refused := auth_attempt_refused(request):
            return refused
        if form.is_valid():
            try:
                issued = tokens.token_create(user=request.user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                form = TokenForm()
    context = {"form": form, "issued": issued, "tokens": tokens.tokens_of(request.user)}
    return render(request, "web/accounts/token.html", context, status=201 if issued else 200)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        revoked = tokens.token_revoke(user=request.user, token_id=token_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The token “{revoked.name}” is revoked: it no longer works.")
    return redirect("web:token")
