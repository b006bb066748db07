"""Reading request bodies safely: JSON only, size capped before and after gzip, NaN and Infinity refused.

``decode_body`` is the rule set without Flask (the WSGI report path, api/fastreport.py, uses it too);
``json_body`` applies it to the current Flask request.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from flask import request

from api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"malformed JSON: {e}") from None


def decompress(raw: bytes, limit: int) -> bytes:
    """gunzip ``raw`` without ever holding more than ``limit`` bytes (a gzip bomb stops here)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error as e:
        raise BadRequest(f"malformed gzip body: {e}") from None
    if len(out) > limit or d.unconsumed_tail:
        raise PayloadTooLarge(f"the decompressed body exceeds {limit} bytes")
    if not d.eof:
        raise BadRequest("truncated gzip body")
    return out


def decode_body(raw: bytes, mimetype: str, content_encoding: str | None, max_bytes: int, max_decompressed: int,
                required: bool = True) -> Any:
    """The JSON value of a request body already read (``mimetype`` lower-cased, without parameters)."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"the body exceeds {max_bytes} bytes")
    if not raw and not required:
        return None
    if mimetype != "application/json":
        raise UnsupportedMediaType("send Content-Type: application/json")
    encoding = (content_encoding or "identity").lower()
    if encoding == "gzip":
        raw = decompress(raw, max_decompressed)
    elif encoding != "identity":
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported (use gzip)")
    return parse_json(raw)


def json_body(max_bytes: int, max_decompressed: int, required: bool = True) -> Any:
    """The request's JSON body. Flask's MAX_CONTENT_LENGTH caps the raw read (chunked bodies included)."""
    mimetype = request.mimetype
    raw = request.get_data(cache=False)
    return decode_body(raw, mimetype, request.headers.get("Content-Encoding"), max_bytes, max_decompressed,
                       required)
