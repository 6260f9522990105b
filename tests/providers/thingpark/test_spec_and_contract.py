"""The bundled ThingPark descriptions, and the contract layer judging real client shapes."""

from __future__ import annotations

import json

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV2SpecValidator

from mockserver.contract.documents import bundled_specs_dir, load_spec
from tests.providers.thingpark.helpers import AS_ID, AS_KEY, messages_url

SPECS = bundled_specs_dir() / "thingpark"


def _string_keys(document: dict) -> dict:
    return json.loads(json.dumps(document))  # YAML's integer status keys become strings


def test_the_published_fragment_is_bundled_unedited():
    text = (SPECS / "dx-core.yaml").read_text(encoding="utf-8")
    assert text.startswith('---\nswagger: "2.0"\n') and text.endswith("\n---")
    raw = next(d for d in yaml.safe_load_all(text) if d)
    assert "definitions" not in raw, "the vendor's text never defines holder"
    body = raw["paths"]["/devices/{device}/downlinkMessages"]["post"]["parameters"][3]
    assert body["schema"] == {"$ref": "#/definitions/holder"}
    assert list(raw["paths"]["/devices/{device}/downlinkMessages"]["post"]["responses"]) == [200]


def test_with_its_overlay_the_fragment_is_valid_swagger_but_for_the_vendors_untyped_parameters():
    spec = load_spec(SPECS / "dx-core.yaml", "thingpark")
    document = _string_keys(spec.document)
    errors = list(OpenAPIV2SpecValidator(document).iter_errors())
    parameters = document["paths"]["/devices/{device}/downlinkMessages"]["post"]["parameters"]
    failing = [parameters[error.path[-1]] for error in errors]
    assert [p["name"] for p in failing] == ["confirmDownlink", "device", "flushDownlinkQueue"]
    assert all("type" not in parameter for parameter in failing)


def test_the_written_descriptions_are_valid():
    validate(
        _string_keys(load_spec(SPECS / "dx-admin.yaml", "thingpark").document),
        cls=OpenAPIV2SpecValidator,
    )
    validate(load_spec(SPECS / "users-auth.yaml", "thingpark").document)


def request_violations(server) -> list[str]:
    return [
        f"{v.where}:{v.rule}" for v in server.contract.log.violations if v.direction == "request"
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"payloadHex": "0102", "targetPorts": "1"},
        {"payloadHex": "0102", "targetPorts": 2},
        {"payloadHex": "aBcD", "targetPorts": "1", "correlationID": "1767225600000"},
        {
            "payloadHex": "01",
            "targetPorts": "1",
            "securityParams": {"asId": AS_ID, "asKey": AS_KEY, "creationTime": "2026-01-01T00:00Z"},
            "confirmDownlink": True,
            "flushDownlinkQueue": False,
        },
        {"flushDownlinkQueue": True},
    ],
)
def test_real_client_shapes_break_no_rule(client, server, auth, body):
    response = client.post(messages_url() + "?confirmDownlink=false", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert request_violations(server) == []


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        ({"payloadHex": "010"}, True, ["body.payloadHex:pattern"]),
        ({"payloadHex": "01", "correlationID": "xyz"}, True, ["body.correlationID:pattern"]),
        ({"payloadHex": "01", "confirmDownlink": "yes"}, True, ["body.confirmDownlink:type"]),
        ({"payloadHex": "01", "targetPorts": "1"}, False, ["security:security"]),
    ],
)
def test_broken_requests_are_the_clients_contract_violations(
    client, server, auth, body, headers, expected
):
    client.post(messages_url(), json=body, headers=auth if headers else {})
    assert request_violations(server) == expected


def test_token_requests_in_form_or_query_break_no_rule(client, server):
    grant = "grant_type=client_credentials&client_id=tpe-api/demo@example.com"
    grant += "&client_secret=demo-secret&renewToken=true&validityPeriod=90days"
    assert client.post(f"/admin/latest/api/oauth/token?{grant}").status_code == 200
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (
        client.post("/admin/latest/api/oauth/token", content=grant, headers=form).status_code == 200
    )
    assert (
        client.post(
            "/users-auth/protocol/openid-connect/token", content=grant, headers=form
        ).status_code
        == 200
    )
    assert request_violations(server) == []


def test_seed_fragment_request_as_published(client, server, auth):
    """The fragment's one call: both query flags and a `message` body, host changed only."""
    response = client.post(
        "/core/v141/api/devices/0018B20000000001/downlinkMessages"
        "?confirmDownlink=true&flushDownlinkQueue=true",
        content=json.dumps({"payloadHex": "0A0B", "targetPorts": "2"}),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "QUEUED"
    assert response.json()["confirmDownlink"] is True
    assert request_violations(server) == []


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe", b'{"payloadHex": "01", "targetPorts": {"a": []}}', b"null", b"1e999999"],
)
def test_odd_bodies_get_dx_errors_never_a_500(client, auth, content):
    response = client.post(
        messages_url(), content=content, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 409), response.text
    assert set(response.json()) == {"code", "message", "errorId"}


def test_admin_api_creates_and_deletes_thingpark_devices(client, server, auth):
    created = client.post(
        "/_mock/devices",
        json={"provider": "thingpark", "ref": "3003", "dev_eui": "0018B200000000AA", "class": "C"},
    )
    assert created.status_code == 201, created.text
    response = client.post(
        messages_url("e0018B200000000AA"),
        json={"payloadHex": "01", "targetPorts": "1"},
        headers=auth,
    )
    assert response.status_code == 200
    duplicate = {"provider": "thingpark", "ref": "3003", "dev_eui": "0018B200000000AB"}
    assert client.post("/_mock/devices", json=duplicate).status_code == 409
    bad = {"provider": "thingpark", "ref": "x", "dev_eui": "0018B200000000AC"}
    assert client.post("/_mock/devices", json=bad).status_code == 400
    assert client.delete("/_mock/devices/thingpark.3003").status_code == 204
    assert client.get(messages_url("3003"), headers=auth).status_code == 404
