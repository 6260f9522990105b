"""JSON read as RFC 8259 and Go's decoders read it, not as Python's lenient `json` does.

Python accepts a UTF-8 byte-order mark, UTF-16/32 bodies and `NaN`/`Infinity`; Go's
encoding/json and protojson reject all of them. Encoded unpaired surrogates (`"\ud800"`)
are parsed as Python does (protojson rejects them, encoding/json turns them into U+FFFD):
`lone_surrogate_at` finds them and `replace_lone_surrogates` does what encoding/json does.
Duplicate keys are an error for protojson ("duplicate field") and are detected when asked
for.

Nesting is limited to `MAX_DEPTH` levels: Python's parser recurses once per level and
would otherwise fail with RecursionError (a 500) on a body such as 100 000 `[`. Go's
decoders allow 10 000 levels; no real client comes near either limit, and a lower one keeps
every later consumer of the value (schema checks, copies, the journal) within Python's
stack too.

An integer literal longer than Python's int-conversion limit (`sys.get_int_max_str_digits()`,
4300 digits) makes `json` raise a ValueError in Python's own words; the limit is
process-global and stays untouched. Such a literal is read instead as the float it is
(`±inf`: far beyond any field's range), so each provider refuses it as it refuses `1e400`,
and the `literals` decoders keep its text to quote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate, islice, repeat
from typing import Any

#: The deepest nesting accepted; one level more is refused as `TooDeepError`.
MAX_DEPTH = 256


class StrictJSONError(ValueError):
    pass


class TooDeepError(StrictJSONError):
    """The value nests deeper than `MAX_DEPTH`; `char` (`[` or `{`) opens the level too many,
    at `pos` in the text (Go's scanner reports `invalid character '[' exceeded max depth`)."""

    def __init__(self, char: str, pos: int) -> None:
        super().__init__(f"invalid character {char!r} exceeded max depth")
        self.char = char
        self.pos = pos


class IntLiteral(int):
    """An integer that remembers how the body wrote it (`-0`, `007` never reach here)."""

    literal: str


class FloatLiteral(float):
    """A number with a fraction or exponent (or an integer too long for Python's int
    conversion), and its text: Go's errors quote the literal (`1e400`, `1.0`), which Python's
    float (`inf`, `1.0`, `100.0` for `1e2`) loses."""

    literal: str


def _int_literal(text: str) -> IntLiteral:
    value = IntLiteral(text)
    value.literal = text
    return value


def _float_literal(text: str) -> FloatLiteral:
    value = FloatLiteral(text)
    value.literal = text
    return value


def _reject(name: str) -> Any:
    raise StrictJSONError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(f"duplicate field {key!r}")
        result[key] = value
    return result


class _RepeatedKey(Exception):
    pass


def _dict_or_repeated(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _RepeatedKey
    return result


def _decoder(
    pairs: Callable[[list[tuple[str, Any]]], dict[str, Any]] | None = None,
    literals: bool = False,
) -> json.JSONDecoder:
    return json.JSONDecoder(
        parse_constant=_reject,
        object_pairs_hook=pairs,
        parse_int=_int_literal if literals else None,
        parse_float=_float_literal if literals else None,
    )


_DECODER = _decoder()
_UNIQUE_DECODER = _decoder(_unique)
_KEY_CHECKING_DECODER = _decoder(_dict_or_repeated)
_LITERAL_DECODERS = {False: _decoder(literals=True), True: _decoder(_unique, literals=True)}


def loads(
    body: bytes,
    *,
    first_value_only: bool = False,
    unique_keys: bool = False,
    literals: bool = False,
) -> Any:
    """Parse UTF-8 JSON strictly; `first_value_only` ignores what follows the first value,
    as Go's json.Decoder does; `literals` gives numbers as IntLiteral / FloatLiteral."""
    if literals:
        decoder = _LITERAL_DECODERS[unique_keys]
    else:
        decoder = _UNIQUE_DECODER if unique_keys else _DECODER
    return _parse(body, decoder, first_value_only)


def loads_noting_repeated_keys(body: bytes) -> tuple[Any, bool]:
    """`loads(body)`, and whether some object repeated a key (the last one is kept).

    The contract layer parses each request body once this way, so that a decoder that
    rejects duplicates (protojson) can reuse the value unless the flag is set.
    """
    try:
        return _parse(body, _KEY_CHECKING_DECODER), False
    except _RepeatedKey:
        return _parse(body, _DECODER), True


def _parse(body: bytes, decoder: json.JSONDecoder, first_value_only: bool = False) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictJSONError(f"not UTF-8: {error}") from None
    if text.startswith("\ufeff"):
        raise StrictJSONError("a byte-order mark is not JSON")
    stripped = text.lstrip(" \t\r\n")
    try:
        return _decode(stripped, decoder, first_value_only)
    except ValueError as error:
        if type(error) is not ValueError:  # JSONDecodeError, StrictJSONError: the body's fault
            raise
        # Python's int-conversion limit (the only plain ValueError the parser raises): read
        # again, the over-long integers as floats. Only such bodies pay for a second parse.
        return _decode(stripped, _tolerant(decoder), first_value_only)


def _tolerant(decoder: json.JSONDecoder) -> json.JSONDecoder:
    """`decoder`, reading an integer literal beyond Python's conversion limit as a float."""
    parse_int = decoder.parse_int
    huge = _float_literal if parse_int is _int_literal else float

    def parse_long_int(text: str) -> Any:
        try:
            return parse_int(text)
        except ValueError:
            return huge(text)  # float() has no digit limit: ±inf

    return json.JSONDecoder(
        parse_constant=decoder.parse_constant,
        object_pairs_hook=decoder.object_pairs_hook,
        parse_int=parse_long_int,
        parse_float=decoder.parse_float,
    )


def _decode(stripped: str, decoder: json.JSONDecoder, first_value_only: bool) -> Any:
    _check_depth(stripped, decoder)
    try:
        value, end = decoder.raw_decode(stripped)
    except RecursionError:  # only if the caller's own stack is already nearly full
        raise StrictJSONError("the value nests too deeply") from None
    if not first_value_only and stripped[end:].strip(" \t\r\n"):
        raise StrictJSONError("extra data after the JSON value")
    return value


# -- nesting depth ---------------------------------------------------------------------------
#: A string literal (an unterminated one runs to the end) or a bracket. Possessive, so that
#: no input makes the scan quadratic.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.S)
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
#: A string literal alone, as `_TOKEN` reads one, unrolled (a run of plain characters is one
#: step), to cut strings out of a long body quickly.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.S)
#: `str.translate` tables keeping only brackets (and quotes).
_BRACKETS_ONLY = {code: None for code in range(128) if chr(code) not in "[]{}"}
_BRACKETS_AND_QUOTES = {code: None for code in range(128) if chr(code) not in '[]{}"'}


def _check_depth(text: str, decoder: json.JSONDecoder) -> None:
    """Refuse a value that nests deeper than MAX_DEPTH, unless the text is already invalid
    before that point, or its first value ends before it (what a parser reading left to
    right, as Go's scanner does, would report)."""
    position = _too_deep_at(text)
    if position is None:
        return
    try:
        decoder.raw_decode(text[:position])
    except json.JSONDecodeError as error:
        if error.pos < position and not _at_end(text[:position], error.pos):
            raise json.JSONDecodeError(error.msg, text, error.pos) from None
        raise TooDeepError(text[position], position) from None
    # The first value ends before the deep part: the parser never goes there.


def _at_end(prefix: str, position: int) -> bool:
    """The error is only that the cut-off prefix ended (it would go on in the whole text)."""
    return not prefix[position:].strip(" \t\r\n")


def _too_deep_at(text: str) -> int | None:
    """Where the first bracket that opens level MAX_DEPTH + 1 is, strings skipped."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    if not _deeper_than_limit(text):
        return None  # the common long body (a page of records): no position to find
    tokens = _TOKEN.findall(text)
    depths = accumulate(map(_DELTA.get, tokens, repeat(0)))
    try:
        index = list(map(MAX_DEPTH.__lt__, depths)).index(True)
    except ValueError:
        return None
    return next(islice(_TOKEN.finditer(text), index, None)).start()


def _deeper_than_limit(text: str) -> bool:
    """Whether some bracket outside strings opens level MAX_DEPTH + 1, found in C as far as
    possible: without a backslash, every `"` opens or closes a string, so the text reduced
    to brackets and quotes and split at the quotes has the brackets outside strings at even
    places; with one, the strings (escapes and all) are cut out by a regex first."""
    if "\\" in text:
        outside = _STRING.sub("", text)
    else:
        outside = "".join(text.translate(_BRACKETS_AND_QUOTES).split('"')[::2])
    brackets = outside.translate(_BRACKETS_ONLY)
    if brackets.count("[") + brackets.count("{") <= MAX_DEPTH:
        return False
    return max(accumulate(map(_DELTA.get, brackets, repeat(0)))) > MAX_DEPTH


# -- surrogates ------------------------------------------------------------------------------
_SURROGATE = re.compile("[\ud800-\udfff]")


#: What a JSON text needs for its value to hold a surrogate at all: a `\\uD800`-`\\uDFFF`
#: escape (strict UTF-8 decoding refuses a raw one). An escaped backslash before `u` matches
#: too: a false alarm only costs the walk.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def may_hold_surrogates(body: bytes) -> bool:
    """False when the JSON text `body` cannot decode to a value with a surrogate in it, so
    that `lone_surrogate_at` need not walk its value: one scan of the bytes in C, where
    most bodies end."""
    return _SURROGATE_ESCAPE.search(body) is not None


def lone_surrogate_at(value: Any) -> str | None:
    """Where (`message.payload`, `instruction[0].vs`, `a key of message`) the first string,
    key or value, holds an unpaired UTF-16 surrogate (`"\\ud800"` in JSON), which is not
    Unicode text and cannot be encoded as UTF-8; None when there is none. Escaped pairs are
    joined by the parser into one character and are fine."""
    pending: list[tuple[Any, str, bool]] = [(value, "", False)]  # (node, path, is a key)
    while pending:
        node, path, is_key = pending.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return f"a key of {path or 'the body'}" if is_key else path or "the body"
        elif isinstance(node, dict):
            for key, item in reversed(node.items()):
                pending.append((item, f"{path}.{key}" if path else key, False))
                pending.append((key, path, True))
        elif isinstance(node, list):
            pending.extend(
                (item, f"{path}[{i}]", False) for i, item in reversed(list(enumerate(node)))
            )
    return None


def replace_lone_surrogates(value: Any) -> Any:
    """The value with each unpaired surrogate in its strings (keys too) replaced by U+FFFD,
    as Go's encoding/json decodes them."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_lone_surrogates(item) for item in value]
    return value


def too_deep_at(text: str) -> int | None:
    """Where in `text` (strings skipped) the bracket opening level MAX_DEPTH + 1 stands, or
    None: a check for readers that parse with Python's own json (the admin API's bodies)."""
    return _too_deep_at(text)
