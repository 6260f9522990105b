"""A rule's body match reads the body itself when the contract did not: never a failure."""

from __future__ import annotations

import pytest

from mockserver.contract import HttpRequest
from mockserver.scenario.matching import _json_body


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"\xff", b"not json"])
def test_a_body_the_matcher_cannot_read_matches_no_body_path(body: bytes) -> None:
    request = HttpRequest("POST", "/x", "", {"content-type": "text/plain"}, body)
    assert _json_body(request) is None


def test_a_json_body_the_contract_left_unparsed_is_read() -> None:
    request = HttpRequest("POST", "/x", "", {"content-type": "text/plain"}, b'{"f_port": 2}')
    assert _json_body(request) == {"f_port": 2}
