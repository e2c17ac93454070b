from rest_framework.routers import SimpleRouter

from catalog.views import AssetViewSet

router = SimpleRouter(use_regex_path=False)  # lookups by path converter: `<id:pk>`
router.register("assets", AssetViewSet, basename="asset")
urlpatterns = router.urls
