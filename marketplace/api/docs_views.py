"""The interactive API docs (Swagger UI, served from drf-spectacular-sidecar) under the
site's Content Security Policy: the page's script and styles are files, none inline."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    # The split view serves its start-up script as a file (`?script`); this template also
    # keeps the page's few style rules in a stylesheet.
    template_name = "marketplace/swagger_ui.html"
