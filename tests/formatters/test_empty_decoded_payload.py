"""Issue 20, item 16: a decoder that returns `data: {}` sets `decoded_payload` to an empty
Struct, and protojson writes a set message even when it is empty: `"decoded_payload": {}`
stays in the uplink webhook, the queue listing and `downlink_queued`."""

from __future__ import annotations

import base64

from tests.conftest import AUTH
from tests.formatters import test_tts_javascript as base
from tests.formatters.test_tts_javascript import push, uplink_message

app, server, client = base.app, base.server, base.client  # the fixtures

EMPTY = (
    "function decodeUplink(input) { return { data: {} }; }\n"
    "function decodeDownlink(input) { return { data: {} }; }\n"
)
LIST = "/api/v3/as/applications/app1/devices/{device}/down"


def test_an_empty_uplink_decoding_is_written_as_an_empty_object(server, app):
    server.formatters.set("app1.es5", up=EMPTY)
    uplink = uplink_message(server, app, "es5", 3, b"\x01\x02")
    assert uplink["decoded_payload"] == {}


def test_struct_values_that_look_empty_are_kept(server, app):
    script = "function decodeUplink(i) { return { data: {zero: 0, off: false, none: ''} }; }"
    server.formatters.set("app1.es5", up=script)
    uplink = uplink_message(server, app, "es5", 3, b"\x01")
    assert uplink["decoded_payload"] == {"zero": 0, "off": False, "none": ""}


def test_an_empty_downlink_decoding_is_listed_and_published(server, client, app):
    server.formatters.set("app1.es5", down=EMPTY)
    body = {"f_port": 4, "frm_payload": base64.b64encode(b"\x07").decode()}
    assert push(client, "es5", body).status_code == 200
    listed = client.get(LIST.format(device="es5"), headers=AUTH)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["downlinks"]
    assert item["decoded_payload"] == {}
    assert server.outbound.flush()
    queued = app.messages("downlink_queued")[-1][2]["downlink_queued"]
    assert queued["decoded_payload"] == {}
