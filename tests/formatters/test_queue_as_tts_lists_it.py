"""Issue 20, item 15, checked against TTS's source (pkg/applicationserver):

- DownlinkQueueList runs every listed item through the device's downlink decoder again
  (decryptAndDecodeDownlink); its output replaces `decoded_payload`.
- handleDownlinkNack pushes the NACKed downlink again with a ResultFunc that only reports
  drops: no fresh `downlink_queued` is published for the retry.
"""

from __future__ import annotations

import base64

from tests.conftest import AUTH
from tests.formatters import test_tts_javascript as base
from tests.formatters.test_tts_javascript import push

app, server, client = base.app, base.server, base.client  # the fixtures

LIST = "/api/v3/as/applications/app1/devices/{device}/down"
DECODER = (
    "function decodeDownlink(input) {"
    " return { data: { first: input.bytes[0] }, warnings: ['w%d'] }; }"
)


def _listed(client, device: str) -> list[dict]:
    response = client.get(LIST.format(device=device), headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["downlinks"]


def test_listing_decodes_the_queue_again_with_the_current_decoder(server, client):
    server.formatters.set("app1.es5", down=DECODER % 1)
    body = {"f_port": 4, "frm_payload": base64.b64encode(b"\x07").decode()}
    assert push(client, "es5", body).status_code == 200
    (item,) = _listed(client, "es5")
    assert item["decoded_payload"] == {"first": 7} and item["decoded_payload_warnings"] == ["w1"]
    server.formatters.set("app1.es5", down=DECODER % 2)  # the listing follows the script
    (item,) = _listed(client, "es5")
    assert item["decoded_payload_warnings"] == ["w2"]


def test_a_failing_decoder_lists_the_item_as_it_was_pushed(server, client):
    body = {"f_port": 4, "frm_payload": "Bw==", "decoded_payload": {"given": True}}
    assert push(client, "none", body).status_code == 200  # no down formatter at all
    (item,) = _listed(client, "none")
    assert item["decoded_payload"] == {"given": True}
    server.formatters.set("app1.es5", down="function decodeDownlink() { throw new Error('x'); }")
    assert push(client, "es5", body).status_code == 200
    (item,) = _listed(client, "es5")
    assert item["decoded_payload"] == {"given": True}


def test_a_nack_retry_publishes_no_new_downlink_queued(server, client, app):
    queued: list = []
    server.network.subscribe(lambda event: queued.append(event), kinds=("queued",))
    body = {"f_port": 3, "frm_payload": "AQ==", "confirmed": True}
    assert push(client, "plain", body).status_code == 200
    server.uplink("app1.plain")
    server.clock.run_until_idle()
    server.uplink("app1.plain", ack=False)  # NACK: TTS pushes it again
    server.clock.run_until_idle()
    assert server.outbound.flush()
    retried = queued[-1].downlinks[0]
    assert len(queued) == 2 and retried.extra["confirmed_retry"]["attempt"] == 2
    assert len(app.messages("downlink_queued")) == 1  # the push's own, none for the retry
