"""The bundled kpn-feedback-timeout scenario does what its description says."""

from __future__ import annotations

import httpx

from mockserver.server import MockServer
from tests.scenario.test_library import KPN_LORA as LORA
from tests.scenario.test_library import kpn_lora_downlink


def test_a_lora_downlink_times_out_while_the_device_is_out_of_coverage(
    server: MockServer, client: httpx.Client
):
    server.load_scenario("kpn-feedback-timeout")
    auth = {"Authorization": f"Bearer {server.providers['kpn'].ready_token('demo-client')}"}
    downlink = kpn_lora_downlink(client, auth)
    server.clock.advance(9 * 60)
    record = client.get(f"/lora/downlinks/{downlink}", headers=auth).json()
    assert record["status"] == "PENDING"
    server.clock.advance(61)
    record = client.get(f"/lora/downlinks/{downlink}", headers=auth).json()
    assert record["lastFailureReason"] == "FEEDBACK_TIMEOUT"
    assert record["status"] == "DONE"
    timeline = [event.kind for event in server.network.timeline(LORA)]
    assert "uplink_lost" in timeline and "uplink" not in timeline and "sent" not in timeline


def test_nothing_reaches_the_device_even_in_a_window_opened_just_before(
    server: MockServer, client: httpx.Client
):
    server.uplink(LORA, f_port=1)  # its RX windows open in 1 s and 2 s
    server.load_scenario("kpn-feedback-timeout")
    auth = {"Authorization": f"Bearer {server.providers['kpn'].ready_token('demo-client')}"}
    downlink = kpn_lora_downlink(client, auth)
    server.clock.advance(10 * 60 + 1)
    record = client.get(f"/lora/downlinks/{downlink}", headers=auth).json()
    assert record["lastFailureReason"] == "FEEDBACK_TIMEOUT"
    assert "sent" not in [event.kind for event in server.network.timeline(LORA)]
