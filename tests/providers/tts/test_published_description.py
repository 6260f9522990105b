"""TTS's own Swagger: bundled as published, the AppAs and registry routes validated against
it under TTS's operationIds, and its overlay keeping requests TTS accepts out of findings."""

from __future__ import annotations

import hashlib
import re

import pytest
from openapi_spec_validator import OpenAPIV2SpecValidator, validate

from mockserver.contract.documents import bundled_specs_dir, load_spec
from tests.providers.tts.helpers import app_as_url, bearer, body, list_url

SPECS = bundled_specs_dir() / "tts"
SWAGGER = load_spec(SPECS / "api.swagger.json", "tts")
SERVED_BY_THE_SWAGGER = {
    ("POST", "AppAs_DownlinkQueuePush"),
    ("POST", "AppAs_DownlinkQueueReplace"),
    ("GET", "AppAs_DownlinkQueueList"),
    ("GET", "ApplicationWebhookRegistry_GetFormats"),
    ("GET", "ApplicationWebhookRegistry_List"),
    ("GET", "ApplicationWebhookRegistry_Get"),
    ("POST", "ApplicationWebhookRegistry_Set2"),
    ("PUT", "ApplicationWebhookRegistry_Set"),
    ("DELETE", "ApplicationWebhookRegistry_Delete"),
    ("POST", "AppAs_DecodeUplink"),  # the formatter test routes
    ("POST", "AppAs_EncodeDownlink"),
    ("POST", "AppAs_DecodeDownlink"),
}


def test_the_bundled_file_is_the_vendors_byte_for_byte():
    published = re.search(r"sha256\s+`([0-9a-f]{64})`", (SPECS / "README.md").read_text())
    assert published, "specs/tts/README.md states the published file's sha256"
    digest = hashlib.sha256((SPECS / "api.swagger.json").read_bytes()).hexdigest()
    assert digest == published.group(1)


def test_with_its_overlay_the_served_part_is_valid_swagger():
    validate(SWAGGER.document, cls=OpenAPIV2SpecValidator)


def test_each_route_is_validated_against_the_description_that_has_it(server):
    by_spec = {(op.method, op.operation_id): op.spec.name for op in server.contract.operations()}
    tts = {key: name for key, name in by_spec.items() if name.startswith("tts/")}
    assert {key for key, name in tts.items() if name == "tts/api.swagger"} == SERVED_BY_THE_SWAGGER
    assert {key for key, name in tts.items() if name == "tts/openapi"} == {
        ("POST", "WebhookDownlinkQueuePush"),
        ("POST", "WebhookDownlinkQueueReplace"),
    }


def test_coverage_names_the_registry_operations_as_tts_does(client, server):
    hook = {"webhook": {"ids": {"webhook_id": "new-hook"}, "base_url": "http://h/"}}
    assert client.post("/api/v3/as/webhooks/app1", json=hook, headers=bearer()).status_code == 200
    assert client.put("/api/v3/as/webhooks/app1/new-hook", json=hook, headers=bearer()).is_success
    coverage = client.get("/_mock/contract/coverage").json()["operations"]
    seen = {op["operation"]: op["seen"] for op in coverage if op["operation"].startswith("tts.")}
    assert (
        seen["tts.ApplicationWebhookRegistry_Set2"] and seen["tts.ApplicationWebhookRegistry_Set"]
    )
    assert "tts.ApplicationWebhookRegistry_Update" not in seen


def request_findings(server) -> list[str]:
    return [
        f"{v.operation} {v.where}:{v.rule}"
        for v in server.contract.log.violations
        if v.direction == "request"
    ]


@pytest.mark.parametrize(
    "item",
    [
        {"f_port": 1, "frm_payload": "AQ==", "priority": 3},  # an enum by number
        {"f_port": 1, "frm_payload": "-_8"},  # URL-safe, unpadded
        {"f_port": 1, "frm_payload": "AQ", "session_key_id": "AQID"},  # unpadded
    ],
)
def test_a_downlink_tts_accepts_is_no_finding(client, server, item):
    response = client.post(app_as_url("push"), content=body(item), headers=bearer())
    assert response.status_code == 200, response.text
    assert request_findings(server) == []


@pytest.mark.parametrize("mask", [{"paths": ["base_url"]}, "base_url", "base_url,format"])
def test_either_field_mask_form_is_no_finding_and_is_honoured(client, server, mask):
    hook = {
        "webhook": {"ids": {"webhook_id": "wh1"}, "base_url": "http://h/", "paused": True},
        "field_mask": mask,
    }
    response = client.put("/api/v3/as/webhooks/app1/wh1", json=hook, headers=bearer())
    assert response.status_code == 200, response.text
    stored = server.providers["tts"].registry.applications["app1"].webhooks["wh1"]
    assert (stored.base_url, stored.paused) == ("http://h/", False)  # paused was not named
    assert request_findings(server) == []


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (5, "invalid value type for field mask"),
        ({"paths": ["base_url"], "other": 1}, 'unexpected "other" field in FieldMask object'),
        ({"paths": "base_url"}, "field_mask.paths: expected strings"),
    ],
)
def test_a_field_mask_tts_cannot_decode_is_its_gateway_400(client, server, mask, message):
    hook = {"webhook": {"base_url": "http://h/"}, "field_mask": mask}
    response = client.put("/api/v3/as/webhooks/app1/wh1", json=hook, headers=bearer())
    assert (response.status_code, response.json()) == (400, {"code": 3, "message": message})
    stored = server.providers["tts"].registry.applications["app1"].webhooks["wh1"]
    assert stored.base_url != "http://h/"


def test_a_missing_key_is_a_security_finding_but_not_for_the_formats(client, server):
    assert client.get(list_url()).status_code == 401
    assert client.get("/api/v3/as/webhook-formats").status_code == 200
    assert request_findings(server) == ["tts.AppAs_DownlinkQueueList security:security"]


def test_a_request_breaking_the_vendors_schema_is_still_a_finding(client, server):
    response = client.post(app_as_url("push"), json={"downlinks": [{"f_port": "x"}]})
    assert response.status_code == 400
    assert "tts.AppAs_DownlinkQueuePush body.downlinks[0].f_port:type" in request_findings(server)


def test_scenarios_match_dotted_path_parameters_by_their_short_names(client, server):
    rule = {
        "match": {"operation": "AppAs_DownlinkQueuePush", "params": {"device_id": "dev2"}},
        "act": {"respond": {"error": "tts: peer_unavailable"}},
    }
    server.load_scenario({"name": "t", "description": "one device", "rules": [rule]})
    one = body({"f_port": 1, "frm_payload": "AQ=="})
    assert client.post(app_as_url("push", "dev1"), content=one, headers=bearer()).is_success
    assert client.post(app_as_url("push", "dev2"), content=one, headers=bearer()).status_code == 503
