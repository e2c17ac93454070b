from django.urls import include, path

from marketplace.api import accounts

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="register"),
    path("auth/token/", accounts.TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/rotate/", accounts.TokenRotateView.as_view(), name="token-rotate"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("", include("catalog.urls")),
]
