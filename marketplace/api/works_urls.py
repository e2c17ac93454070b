"""Routes of the rights holders' work endpoints (uploads, declarations)."""

urlpatterns: list = []
