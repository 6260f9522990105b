"""Messages the simulator sends are checked against the `webhooks` of their provider's
description (OpenAPI 3.1), as responses are: a broken one is the simulator's bug."""

from __future__ import annotations

import json

from mockserver.contract import Contract
from mockserver.outbound import OutboundMessage

GOOD = {
    "app_id": "my-app-id",
    "dev_id": "my-dev-id",
    "hardware_serial": "0102030405060708",
    "port": 1,
    "counter": 2,
    "payload_raw": "AQIDBA==",
    "metadata": {
        "time": "1970-01-01T00:00:00Z",
        "frequency": 868.1,
        "modulation": "LORA",
        "data_rate": "SF7BW125",
        "coding_rate": "4/5",
        "gateways": [
            {
                "gtw_id": "ttn-herengracht-ams",
                "timestamp": 12345,
                "time": "",
                "channel": 0,
                "rssi": -25,
                "snr": 5,
                "rf_chain": 0,
            }
        ],
    },
    "downlink_url": "https://integrations.thethingsnetwork.org/ttn/api/v2/down/my-app-id/"
    "my-process-id?key=ttn-account-v2.secret",
}


def message(body: object, *, kind: str = "uplink", method: str = "POST", provider="ttnv2"):
    return OutboundMessage(
        provider=provider,
        kind=kind,
        url="http://127.0.0.1:9000/hook?x=1",
        headers={"Content-Type": "application/json"},
        body=json.dumps(body).encode(),
        at=0,
        method=method,
    )


def test_a_message_as_documented_passes():
    contract = Contract.load()
    assert contract.check_outbound(message(GOOD)) == []
    assert contract.check_outbound(message(GOOD, method="PUT")) == []
    assert contract.log.violations == []


def test_a_broken_message_is_an_outbound_violation_naming_the_field():
    contract = Contract.load()
    broken = {**GOOD, "metadata": {**GOOD["metadata"], "modulation": "CHIRP"}}
    (violation,) = contract.check_outbound(message(broken))
    assert violation.direction == "outbound"
    assert violation.operation == "ttnv2.Uplink"
    assert violation.where == "body.metadata.modulation"
    assert violation.path == "http://127.0.0.1:9000/hook?x=1"
    assert violation.spec_location.startswith("ttnv2/openapi.yaml#/webhooks/uplink/post")
    assert contract.log.violations == [violation]


def test_a_missing_field_and_a_wrong_content_type_are_found():
    contract = Contract.load()
    incomplete = {key: value for key, value in GOOD.items() if key != "downlink_url"}
    (violation,) = contract.check_outbound(message(incomplete))
    assert violation.rule == "required"
    text = OutboundMessage("ttnv2", "uplink", "http://x/", {"Content-Type": "text/plain"}, b"x", 0)
    (violation,) = contract.check_outbound(text)
    assert violation.rule == "content-type"


def test_an_undocumented_method_is_a_violation():
    (violation,) = Contract.load().check_outbound(message(GOOD, method="PATCH"))
    assert (violation.rule, violation.direction) == ("method-not-allowed", "outbound")


def test_kinds_a_description_does_not_name_are_not_checked():
    contract = Contract.load()
    assert (
        contract.check_outbound(message({"anything": 1}, kind="uplink_message", provider="tts"))
        == []
    )
    assert contract.check_outbound(message({"anything": 1}, kind="nope")) == []
    assert contract.log.violations == []


def test_webhooks_are_not_routed_and_not_counted_as_operations():
    contract = Contract.load()
    assert not [op for op in contract.operations() if op.operation_id.startswith("Uplink")]
    assert contract.index("ttnv2").match("POST", "uplink") is None
