"""Request body parsers: DRF's, with a JSON body nested too deeply for Python's parser (a
recursion error, not a ValueError) refused as a parse error like any other bad JSON."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
