"""The contract layer parses a JSON request body once and hands the value to the provider."""

from __future__ import annotations

import pytest

from mockserver import json_strict
from mockserver.contract import Contract, HttpRequest
from mockserver.contract.validation import UNPARSED

REPLACE = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/replace"
HEADERS = {"content-type": "application/json", "authorization": "Bearer NNSXS.X"}


def checked(body: bytes) -> tuple[HttpRequest, list[str]]:
    contract = Contract.load()
    request = HttpRequest("POST", REPLACE, "", HEADERS, body)
    operation, params = contract.index("tts").match("POST", REPLACE)
    violations = contract.check_request(operation, params, request)
    return request, [f"{v.where}:{v.rule}" for v in violations]


def test_a_valid_body_is_handed_over_parsed():
    request, violations = checked(b' {"downlinks":[{"f_port":1,"frm_payload":"AQ=="}]} ')
    assert violations == []
    assert request.json == {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}
    assert request.json_repeated_keys is False


def test_a_repeated_key_is_valid_json_but_flagged_for_strict_decoders():
    request, violations = checked(b'{"downlinks":[{"f_port":1,"f_port":2}]}')
    assert violations == []
    assert request.json == {"downlinks": [{"f_port": 2}]}
    assert request.json_repeated_keys is True


@pytest.mark.parametrize("body", [b"{", b'{"downlinks":[]} {}', b'{"x":NaN}', b"\xef\xbb\xbf{}"])
def test_a_body_that_is_not_json_is_a_syntax_violation_and_left_unparsed(body):
    request, violations = checked(body)
    assert violations == ["body:syntax"]
    assert request.json is UNPARSED


@pytest.mark.parametrize(
    "body",
    [b"{}", b'{"a":{"b":[1,{"c":null}]}}', b"[1,2]", b'"x"', b"  3 ", b'{"a":1,"a":{"a":2,"a":3}}'],
)
def test_noting_repeated_keys_parses_as_loads_does(body):
    value, repeated = json_strict.loads_noting_repeated_keys(body)
    assert value == json_strict.loads(body)
    assert repeated == body.startswith(b'{"a":1,"a"')


@pytest.mark.parametrize("body", [b"", b"{", b"[] x", b"\xff", b"[NaN]", b'{"a":1,"a":NaN}'])
def test_noting_repeated_keys_rejects_what_loads_rejects(body):
    with pytest.raises(ValueError):
        json_strict.loads(body)
    with pytest.raises(ValueError):
        json_strict.loads_noting_repeated_keys(body)


BODIES = [
    b'{"downlinks":[{"f_port":224,"frm_payload":"AQ=="}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"not base64!"}]}',
    b'{"downlinks":[{"f_port":1,"priority":"SOON"}]}',
    b'{"downlinks":{}}',
    b'{"downlinks":[{"f_port":1}]',
    b'{"downlinks":[{"f_port":1,"f_port":2}]}',
    b'{"downlinks":[]}',
]


@pytest.mark.parametrize("body", BODIES)
def test_the_exact_json_content_type_and_a_negotiated_one_find_the_same(body):
    """`application/json` takes a shortcut past media-type negotiation; `Application/JSON;
    charset=utf-8` does not. Both must report the same violations, in full detail."""
    contract = Contract.load()
    operation, params = contract.index("tts").match("POST", REPLACE)
    found = []
    for content_type in ("application/json", "Application/JSON; charset=utf-8"):
        headers = {**HEADERS, "content-type": content_type}
        request = HttpRequest("POST", REPLACE, "", headers, body)
        violations = contract.check_request(operation, params, request)
        found.append(([v.to_json() for v in violations], request.json, request.json_repeated_keys))
    assert found[0] == found[1]


def test_a_body_violation_carries_its_details():
    _, violations = checked(b'{"downlinks":[{"f_port":224,"frm_payload":"AQ=="}]}')
    assert violations == ["body.downlinks[0].f_port:not"]
