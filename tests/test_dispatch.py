"""A failure inside the contract layer is the vendor's 500, journalled: never uvicorn's."""

from __future__ import annotations

import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN


def test_a_contract_layer_failure_answers_the_vendors_500(monkeypatch: pytest.MonkeyPatch):
    server = MockServer()

    def broken(*args: object) -> list:
        raise RuntimeError("a bug in the contract layer")

    monkeypatch.setattr(server.contract, "check_request", broken)
    response = server.client().post(
        WEBHOOK_DOWN.format(device="dev1", op="push"),
        headers=AUTH,
        json={"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]},
    )
    assert response.status_code == 500
    assert response.json()["message"] == "error:pkg/errors:unknown (unknown error)"
    assert "Traceback" not in response.text
    assert len(server.journal) == 1
    assert len(server.network.get("app1.dev1").queue) == 0
