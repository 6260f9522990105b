"""`smsMessageId`, an int64 the service assigns: every JSON reader must get it exactly, and
the same world must assign the same ones (docs/providers/kpn.md)."""

from __future__ import annotations

import json

import httpx

from mockserver.server import MockServer
from tests.providers.kpn.helpers import bearer, create, token

MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER
SMS_BN = "urn:dev:IMEI:356938035643817:"


def sms_message_ids(client: httpx.Client, auth: dict[str, str], count: int) -> list[int]:
    """Ids of `count` SMS downlinks: half created directly, half through actuator downlinks
    (whose SMS downlink is listed under /sms/downlinks)."""
    direct = [create(client, auth, "sms")["message"]["smsMessageId"] for _ in range(count // 2)]
    for _ in range(count - count // 2):
        instruction = {"instruction": [{"bn": SMS_BN, "n": "text", "vs": "x"}]}
        response = client.post(
            "/downlinks", json={**instruction, "method": {"protocol": "SMS"}}, headers=auth
        )
        assert response.status_code == 201, response.text
    listed = client.get("/sms/downlinks", params={"limit": 100}, headers=auth).json()["items"]
    children = [item["message"]["smsMessageId"] for item in listed]
    assert set(direct) <= set(children)
    return children


def test_sms_message_ids_survive_a_javascript_json_reader(client, auth):
    """A reader that holds every JSON number as a double (JavaScript, Prism) gets each id
    back unchanged: every id is within 1..2^53-1."""
    ids = sms_message_ids(client, auth, 16)
    assert len(ids) == 16
    assert all(isinstance(value, int) and 1 <= value <= MAX_SAFE_INTEGER for value in ids), ids
    as_doubles = json.loads(json.dumps(ids), parse_int=float)
    assert [int(value) for value in as_doubles] == ids
    assert len(set(ids)) == len(ids)


def test_the_same_world_assigns_the_same_sms_message_ids():
    runs = []
    for _ in range(2):
        with MockServer().client() as client:
            runs.append(sms_message_ids(client, bearer(token(client)), 4))
    assert runs[0] == runs[1]
