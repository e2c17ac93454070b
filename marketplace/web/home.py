"""The site's home: what the product is, for artists and for ML teams, with a few
published images."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.selectors import published_with_thumbnails
from common.money import usd_text


@require_GET
def home(request):
    context = {
        "samples": published_with_thumbnails(8),
        "fee": usd_text(settings.PLATFORM_FEE_MICROS),
    }
    return render(request, "web/home.html", context)
