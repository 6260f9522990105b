"""JSON read as RFC 8259 and Go's decoders read it, not as Python's lenient `json` does.

Python accepts a UTF-8 byte-order mark, UTF-16/32 bodies, `NaN`/`Infinity` and encoded
surrogates; Go's encoding/json and protojson reject all of them. Duplicate keys are an
error for protojson ("duplicate field") and are detected when asked for.
"""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder(parse_constant=lambda name: _reject(name))


class StrictJSONError(ValueError):
    pass


def _reject(name: str) -> Any:
    raise StrictJSONError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(f"duplicate field {key!r}")
        result[key] = value
    return result


_UNIQUE_DECODER = json.JSONDecoder(
    parse_constant=lambda name: _reject(name), object_pairs_hook=_unique
)


def loads(body: bytes, *, first_value_only: bool = False, unique_keys: bool = False) -> Any:
    """Parse UTF-8 JSON strictly; `first_value_only` ignores what follows the first value,
    as Go's json.Decoder does."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictJSONError(f"not UTF-8: {error}") from None
    if text.startswith("\ufeff"):
        raise StrictJSONError("a byte-order mark is not JSON")
    decoder = _UNIQUE_DECODER if unique_keys else _DECODER
    stripped = text.lstrip(" \t\r\n")
    value, end = decoder.raw_decode(stripped)
    if not first_value_only and stripped[end:].strip(" \t\r\n"):
        raise StrictJSONError("extra data after the JSON value")
    return value


class _RepeatedKey(Exception):
    pass


def _dict_or_repeated(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _RepeatedKey
    return result


_KEY_CHECKING_DECODER = json.JSONDecoder(
    parse_constant=lambda name: _reject(name), object_pairs_hook=_dict_or_repeated
)


def loads_noting_repeated_keys(body: bytes) -> tuple[Any, bool]:
    """`loads(body)`, and whether some object repeated a key (the last one is kept).

    The contract layer parses each request body once this way, so that a decoder that
    rejects duplicates (protojson) can reuse the value unless the flag is set.
    """
    try:
        return _parse(body, _KEY_CHECKING_DECODER), False
    except _RepeatedKey:
        return _parse(body, _DECODER), True


def _parse(body: bytes, decoder: json.JSONDecoder) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictJSONError(f"not UTF-8: {error}") from None
    if text.startswith("\ufeff"):
        raise StrictJSONError("a byte-order mark is not JSON")
    stripped = text.lstrip(" \t\r\n")
    value, end = decoder.raw_decode(stripped)
    if end != len(stripped) and stripped[end:].strip(" \t\r\n"):
        raise StrictJSONError("extra data after the JSON value")
    return value
