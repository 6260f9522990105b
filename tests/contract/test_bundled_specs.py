"""The bundled descriptions are valid, fully served, and judged as openapi-core judges them."""

from __future__ import annotations

import json

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_spec_validator import validate

from mockserver.contract import Contract, HttpRequest
from mockserver.contract.documents import Dialect, bundled_specs_dir, load_specs
from mockserver.server import MockServer

SPECS = load_specs(bundled_specs_dir())


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_bundled_description_is_valid(spec):
    if spec.dialect is Dialect.SWAGGER_2:
        pytest.skip("Swagger 2.0 fragments are validated with their overlay in their own tests")
    validate(spec.document)


def test_every_operation_has_a_handler():
    server = MockServer()  # raises if a provider misses an operation
    assert len(server.contract.operations()) >= 5


TTS_PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
CASES = [
    {"downlinks": [{"frm_payload": "vu8=", "f_port": 15, "priority": "NORMAL"}]},
    {"downlinks": [{"decoded_payload": {"bytes": [1, 2, 3]}}]},
    {"downlinks": []},
    {"downlinks": [{"f_port": 0, "frm_payload": "AA=="}]},
    {"downlinks": [{"f_port": 224, "frm_payload": "AA=="}]},
    {"downlinks": [{"f_port": 256, "frm_payload": "AA=="}]},
    {"downlinks": [{"f_port": 1, "frm_payload": "not base64!"}]},
    {"downlinks": [{"f_port": 1, "frm_payload": "AA", "priority": "URGENT"}]},
    {"downlinks": [{"f_port": 1, "frm_payload": "AA", "priority": 3}]},
    {"downlinks": [{"f_port": 1, "frm_payload": "AA", "correlation_ids": ["x" * 101]}]},
    {"downlinks": [{"f_port": 1, "frm_payload": "AA", "confirmed_retry": {"max_attempts": 0}}]},
    {"downlinks": "nope"},
    {"other": 1},
]


@pytest.mark.parametrize("body", CASES, ids=lambda body: json.dumps(body)[:60])
@pytest.mark.parametrize("authorized", [True, False])
def test_tts_request_verdicts_agree_with_openapi_core(body, authorized):
    spec = next(spec for spec in SPECS if spec.name == "tts/openapi")
    oracle = OpenAPI.from_dict(spec.document)
    headers = {"Authorization": "Bearer NNSXS.XXXXXXXXX"} if authorized else {}
    raw = json.dumps(body)
    try:
        oracle.validate_request(
            MockRequest(
                "https://thethings.example.com",
                "post",
                TTS_PUSH,
                headers=headers,
                data=raw,
                content_type="application/json",
            )
        )
        oracle_valid = True
    except Exception:
        oracle_valid = False
    contract = Contract([spec])
    operation, params = contract.index("tts").match("POST", TTS_PUSH)
    lowered = {name.lower(): value for name, value in headers.items()}
    ours = contract.check_request(
        operation,
        params,
        HttpRequest(
            "POST", TTS_PUSH, "", {**lowered, "content-type": "application/json"}, raw.encode()
        ),
    )
    assert (not ours) == oracle_valid, [v.message for v in ours]
