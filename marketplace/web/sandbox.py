"""The sandbox gateway's pages (the demo's stand-in for Stripe's hosted pages): browser
pages, not API. Links to them are made by billing (billing.sandbox_links)."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.views import View

from billing.services import sandbox_page, sandbox_page_complete
from common.errors import DomainError


class SandboxPageView(View):
    """A sandbox checkout, portal or onboarding page: a browser page in the demo that says
    what completing will do, with a button that does it (a CSRF-protected form) and then
    sends the person back where Stripe would. The link is the credential, as Stripe's are;
    with Stripe configured every link is refused."""

    route = ""  # the URL name this view answers (billing.sandbox_links.ROUTES)

    def get(self, request, token: str):
        try:
            page = sandbox_page(route=self.route, token=token)
        except DomainError as error:
            return _refused(request, error)
        return render(request, "sandbox/page.html", {"page": page})

    def post(self, request, token: str):
        try:
            page = sandbox_page(route=self.route, token=token)
            sandbox_page_complete(page)
        except DomainError as error:
            return _refused(request, error)
        done = HttpResponseRedirect(page.return_url)
        done.status_code = 303  # after a POST: the browser fetches the return URL with GET
        return done


def _refused(request, error: DomainError):
    return render(
        request, "sandbox/refused.html", {"message": error.message},
        status=error.status_code,
    )  # fmt: skip


urlpatterns = [
    path(
        f"{kind}/<str:token>/",
        SandboxPageView.as_view(route=f"billing-sandbox-{kind}"),
        name=f"billing-sandbox-{kind}",
    )
    for kind in ("checkout", "portal", "connect")
]
