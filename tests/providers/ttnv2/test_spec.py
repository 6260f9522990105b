"""specs/ttnv2/openapi.yaml: our verdicts on downlink requests agree with openapi-core's."""

from __future__ import annotations

import json

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

from mockserver.contract import Contract, HttpRequest
from mockserver.contract.documents import bundled_specs_dir, load_specs

SPEC = next(spec for spec in load_specs(bundled_specs_dir()) if spec.provider == "ttnv2")
PATH = "/ttn-eu/api/v2/down/my-app-id/my-process-id"
CASES = [
    {"dev_id": "my-dev-id", "port": 1, "confirmed": False, "payload_raw": "AQIDBA=="},
    {"dev_id": "my-dev-id", "payload_fields": {"on": True}, "schedule": "first"},
    {"dev_id": "my-dev-id", "port": 0, "payload_raw": "AQ=="},
    {"dev_id": "my-dev-id"},
    {"dev_id": "my-dev-id", "payload_raw": "AQ==", "payload_fields": {"on": True}},
    {"dev_id": "my-dev-id", "payload_raw": ""},
    {"dev_id": "my-dev-id", "payload_raw": "not base64"},
    {"dev_id": "my-dev-id", "payload_raw": "AQ==", "port": 256},
    {"dev_id": "my-dev-id", "payload_raw": "AQ==", "schedule": "now"},
    {"dev_id": "My Device", "payload_raw": "AQ=="},
    {"dev_id": "my-dev-id", "payload_raw": "AQ==", "fport": 2},
    {"payload_raw": "AQ=="},
    [],
]


@pytest.mark.parametrize("body", CASES, ids=lambda body: json.dumps(body)[:60])
@pytest.mark.parametrize("keyed", [True, False])
def test_request_verdicts_agree_with_openapi_core(body, keyed):
    query = "key=ttn-account-v2.secret" if keyed else ""
    raw = json.dumps(body)
    try:
        OpenAPI.from_dict(SPEC.document).validate_request(
            MockRequest(
                "https://integrations.thethingsnetwork.org",
                "post",
                PATH,
                args={"key": "ttn-account-v2.secret"} if keyed else {},
                data=raw,
                content_type="application/json",
            )
        )
        oracle_valid = True
    except Exception:
        oracle_valid = False
    contract = Contract([SPEC])
    operation, params = contract.index("ttnv2").match("POST", PATH)
    ours = contract.check_request(
        operation,
        params,
        HttpRequest("POST", PATH, query, {"content-type": "application/json"}, raw.encode()),
    )
    assert (not ours) == oracle_valid, [v.message for v in ours]
