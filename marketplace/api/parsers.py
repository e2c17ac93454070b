"""Request body parsers.

The API reads JSON bodies; only the views that take files (uploads, evidence) read
multipart forms as well (they list MultiPartParser themselves). A JSON body must be one
object, and one nested too deeply for Python's parser (a recursion error, not a ValueError)
is refused as a parse error like any other bad JSON."""

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        if not isinstance(data, dict):  # readable, but not what any operation takes
            raise exceptions.ValidationError(["The body must be a JSON object: {...}."])
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Multipart forms, for the views that take files. A form with more fields than Django
    reads (DATA_UPLOAD_MAX_NUMBER_FIELDS) is bad input like any other unreadable body."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except TooManyFieldsSent as exc:
            most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            raise exceptions.ParseError(
                f"The form has too many fields: at most {most} are read."
            ) from exc


FILE_PARSERS = [MultiPartParser, JSONParser]
