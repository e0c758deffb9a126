"""Request body parsers that pass every body through the input-validation layer."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers

from .inputs import check_form, load_json


class StrictJSONParser(parsers.JSONParser):
    """Parse JSON with orjson: depth-limited, no lone surrogates, no NUL in any string."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # Read one byte past the limit, never the whole of an oversized body.
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestDataTooBig("The request body is larger than this server accepts.")
        return load_json(raw)


class StrictFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_form(data)
        return data


class StrictMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_form(result.data)
        return result
