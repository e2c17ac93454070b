"""The web pages: server-rendered templates (with htmx for the interactive parts) over the
same services and selectors as the API. Modules are named for what they hold."""
