"""json_strict: nesting depth, number literals and unpaired surrogates.

Python's parser recurses once per nesting level: without a limit, a body of 100 000 `[`
raises RecursionError, which every caller would turn into a 500.
"""

from __future__ import annotations

import json
import math
import random
import sys

import pytest

from mockserver import json_strict
from mockserver.contract import Contract
from mockserver.contract.suggestions import nearest_valid_body
from mockserver.json_strict import MAX_DEPTH, TooDeepError
from mockserver.server import MockServer

JSON = {"Content-Type": "application/json"}


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


DEEP = [
    (b"[" * 100_000, "[", MAX_DEPTH),
    (nested(MAX_DEPTH + 1), "[", MAX_DEPTH),
    (b'{"a":' * 100_000, "{", 5 * MAX_DEPTH),
]


@pytest.mark.parametrize(("body", "char", "position"), DEEP, ids=["100000", "limit+1", "objects"])
@pytest.mark.parametrize(
    "parse",
    [
        json_strict.loads,
        lambda body: json_strict.loads(body, first_value_only=True, literals=True),
        lambda body: json_strict.loads(body, unique_keys=True),
        json_strict.loads_noting_repeated_keys,
    ],
    ids=["loads", "first value, literals", "unique keys", "noting repeated keys"],
)
def test_a_value_nested_too_deeply_is_a_value_error_not_a_recursion_error(
    parse, body, char, position
):
    with pytest.raises(TooDeepError) as raised:
        parse(body)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == f"invalid character {char!r} exceeded max depth"
    assert (raised.value.char, raised.value.pos) == (char, position)


def test_the_limit_itself_parses():
    value = json_strict.loads(nested(MAX_DEPTH))
    for _ in range(MAX_DEPTH - 1):
        (value,) = value
    assert value == []


def test_brackets_inside_strings_do_not_count():
    body = json.dumps(["[" * 10_000, '{\\"[' * 1000]).encode()
    assert json_strict.loads(body) == ["[" * 10_000, '{\\"[' * 1000]


def _too_deep_by_tokens(text: str) -> int | None:
    """The depth scan as it was before its quick pass: every token, one at a time."""
    depth = 0
    for match in json_strict._TOKEN.finditer(text):
        depth += json_strict._DELTA.get(match.group(), 0)
        if depth > MAX_DEPTH:
            return match.start()
    return None


@pytest.mark.parametrize("seed", range(3))
def test_the_quick_depth_pass_finds_what_the_token_scan_finds(seed):
    """Long texts of brackets, quotes, backslashes and letters (with and without
    backslashes: the two quick ways), some nested past the limit: same answer."""
    rng = random.Random(seed)
    for alphabet in ('[]{}"\\a,é', '[]{}"a,é'):
        for _ in range(500):
            weights = [rng.random() for _ in alphabet]
            text = "".join(rng.choices(alphabet, weights, k=rng.choice([300, 1000])))
            if rng.random() < 0.3:
                text = "[" * rng.randint(MAX_DEPTH - 5, MAX_DEPTH + 5) + text
            if rng.random() < 0.3:
                text = '{"a":' * rng.randint(MAX_DEPTH - 5, MAX_DEPTH + 5) + text
            assert json_strict.too_deep_at(text) == _too_deep_by_tokens(text), text[:80]


def test_a_long_flat_page_is_not_scanned_token_by_token(monkeypatch):
    """A page of 1 000 records has thousands of brackets but depth 4: the quick pass answers
    and the token scan (tens of milliseconds on 250 KB) never runs."""
    page = {"items": [{"id": f"{i}", "s": "[{", "m": {"a": [1, 2]}} for i in range(1000)]}
    scans = []
    real = json_strict._TOKEN
    monkeypatch.setattr(
        json_strict,
        "_TOKEN",
        type(
            "Spy",
            (),
            {
                "findall": lambda self, text: scans.append(text) or real.findall(text),
                "finditer": lambda self, text: real.finditer(text),
            },
        )(),
    )
    for body in (json.dumps(page), json.dumps(page, ensure_ascii=True) + json.dumps(["\\é"])):
        assert json_strict.too_deep_at(body) is None
    assert json_strict.loads(json.dumps(page).encode()) == page
    assert scans == []


def test_a_syntax_error_before_the_deep_part_is_reported_as_such():
    with pytest.raises(json.JSONDecodeError) as raised:
        json_strict.loads(b'{"a" 1, "b": ' + b"[" * 1000)
    assert raised.value.pos == 5


def test_the_first_value_ends_before_the_deep_part():
    assert json_strict.loads(b'{"a": 1} ' + b"[" * 1000, first_value_only=True) == {"a": 1}
    with pytest.raises(json_strict.StrictJSONError, match="extra data"):
        json_strict.loads(b'{"a": 1} ' + b"[" * 1000)


def test_an_unterminated_string_is_scanned_in_linear_time():
    with pytest.raises(json.JSONDecodeError, match="Unterminated string"):
        json_strict.loads(b'["' + b'\\"[' * 300_000)


def test_literals_keep_the_text_of_numbers():
    values = json_strict.loads(b"[1e400, 1.0, -0, 7, 1e2]", literals=True)
    assert [value.literal for value in values] == ["1e400", "1.0", "-0", "7", "1e2"]
    assert values == [float("inf"), 1.0, 0, 7, 100.0]
    assert json_strict.loads(b"[1.0]") == [1.0] and type(json_strict.loads(b"[1]")[0]) is int


LONG = "9" * 5000  # beyond Python's int-conversion limit (4300 digits)


@pytest.mark.parametrize("unique_keys", [False, True])
def test_an_integer_beyond_pythons_conversion_limit_reads_as_out_of_range(unique_keys):
    """Not Python's "Exceeds the limit (4300 digits)…" ValueError: the float it is (inf),
    which every provider refuses as it refuses 1e400; the process-wide limit is untouched."""
    limit = sys.get_int_max_str_digits()
    body = f'{{"a": [{LONG}, -{LONG}, 7]}}'.encode()
    assert json_strict.loads(body, unique_keys=unique_keys) == {"a": [math.inf, -math.inf, 7]}
    values = json_strict.loads(body, unique_keys=unique_keys, literals=True)["a"]
    assert [value.literal for value in values] == [LONG, f"-{LONG}", "7"]
    assert values == [math.inf, -math.inf, 7]
    assert json_strict.loads_noting_repeated_keys(f'{{"a": {LONG}, "a": 1}}'.encode()) == (
        {"a": 1},
        True,
    )
    assert sys.get_int_max_str_digits() == limit


def test_a_long_integer_before_a_syntax_error_still_reports_the_syntax_error():
    with pytest.raises(json.JSONDecodeError):
        json_strict.loads(f"[{LONG}, }}".encode())
    with pytest.raises(json_strict.StrictJSONError):
        json_strict.loads(f"[{LONG}, NaN]".encode())
    with pytest.raises(json_strict.StrictJSONError):
        json_strict.loads(f'{{"a": {LONG}, "a": 1}}'.encode(), unique_keys=True)


def test_lone_surrogates_are_found_with_their_place():
    find = json_strict.lone_surrogate_at
    assert find(json.loads('{"message": {"type": "text", "payload": "a\\ud800"}}')) == (
        "message.payload"
    )
    assert find(json.loads('{"i": [{"n": "x"}, {"vs": "\\udc00"}]}')) == "i[1].vs"
    assert find(json.loads('{"m": {"\\udfff": 1}}')) == "a key of m"
    assert find(json.loads('"\\ud800"')) == "the body"
    assert find(json.loads('{"emoji": "\\ud83d\\ude00", "n": 1}')) is None  # a pair: one char


def test_lone_surrogates_are_replaced_as_go_decodes_them():
    value = json.loads('{"a\\ud800": ["\\udc00\\ud800x", "\\ud83d\\ude00", 1]}')
    assert json_strict.replace_lone_surrogates(value) == {
        "a\ufffd": ["\ufffd\ufffdx", "\U0001f600", 1]
    }


# -- the places outside the providers that read a request body ---------------------------------
def test_the_journal_shows_a_body_nested_too_deeply_as_text():
    server = MockServer()
    deep = b"[" * 5000
    with server.client() as client:
        url = "/ttn/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret"
        assert client.post(url, content=deep, headers=JSON).status_code == 400
        response = client.get("/_mock/journal")
    assert response.status_code == 200
    assert [entry["request"]["body"] for entry in response.json()] == [deep.decode()]


def test_the_nearest_valid_body_of_a_body_nested_too_deeply_is_found_without_it():
    push = next(
        op for op in Contract.load().operations() if op.key == "tts.WebhookDownlinkQueuePush"
    )
    assert nearest_valid_body(push, b"[" * 100_000) == {}


@pytest.mark.parametrize(
    "body",
    [
        rb'{"a":"\ud800"}',
        rb'{"a":["x","\uDFFF"]}',
        rb'{"\udc00":1}',
        rb'{"a":"\uD83D\uDE00"}',  # a pair: fine, but the scan must look
        rb'{"a":"\u00e9"}',
        rb'{"a":"\\ud800"}',  # an escaped backslash: no surrogate
        b'{"a":1,"b":[true,null]}',
    ],
)
def test_the_surrogate_prescan_never_misses_what_the_walk_finds(body):
    value = json_strict.loads(body)
    if json_strict.lone_surrogate_at(value) is not None:
        assert json_strict.may_hold_surrogates(body)
    if not json_strict.may_hold_surrogates(body):
        assert json_strict.lone_surrogate_at(value) is None


def test_no_surrogate_escape_no_prescan_hit():
    assert not json_strict.may_hold_surrogates(b'{"payloadHex":"0102","u":"\\u0041"}')
    assert json_strict.may_hold_surrogates(rb'{"x":"\ud800"}')
