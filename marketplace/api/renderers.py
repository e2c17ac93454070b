"""DRF's browsable API under the site's Content Security Policy."""

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """Without the inline <style> of code highlighting (pygments' stylesheet, used only for
    code blocks in Markdown descriptions, which this API does not render): the policy
    allows this site's stylesheets only."""

    def get_context(self, *args, **kwargs):
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context
