"""TTN v2's JavaScript payload functions: Encoder for `payload_fields` downlinks, Decoder,
Converter and Validator for the uplinks' `payload_fields`, with V2's texts when one fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.server import MockServer
from tests.providers.ttnv2.helpers import JSON, default_world, down_url, my_app, queue
from tests.providers.ttnv2.test_uplinks import Application

ENCODER = """
function Encoder(object, port) {
  var colors = ["red", "green", "blue"];
  return [object.on ? 1 : 0, colors.indexOf(object.color), port];
}
"""
DECODER = "function Decoder(bytes, port) { return {celsius: ((bytes[0] << 8) | bytes[1]) / 10}; }"
CONVERTER = (
    "function Converter(decoded, port) { return {fahrenheit: decoded.celsius * 9 / 5 + 32}; }"
)
VALIDATOR = "function Validator(converted, port) { return converted.fahrenheit < 200; }"


@pytest.fixture
def app() -> Iterator[Application]:
    application = Application()
    yield application
    application.http.shutdown()


@pytest.fixture
def server(app: Application) -> Iterator[MockServer]:
    world = default_world()
    application = my_app(world)
    del application["encoder"]
    application["payload_functions"] = {
        "encoder": ENCODER,
        "decoder": DECODER,
        "converter": CONVERTER,
        "validator": VALIDATOR,
    }
    application["integrations"][0]["url"] = app.url + "/v2"
    simulator = MockServer(world)
    simulator.start()
    yield simulator
    simulator.stop()


def send(client, fields: dict, port: int = 3):
    body = {"dev_id": "my-dev-id", "port": port, "payload_fields": fields}
    return client.post(down_url(), json=body, headers=JSON)


def test_encoder_turns_payload_fields_into_the_queued_bytes(server):
    with server.client() as client:
        assert send(client, {"on": True, "color": "blue"}).status_code == 202
    (queued,) = queue(server)
    assert (queued.f_port, queued.frm_payload) == (3, bytes([1, 2, 3]))


@pytest.mark.parametrize(
    ("encoder", "error"),
    [
        (
            "function Encoder(o, p) { return {a: 1}; }",
            "Encoder not valid: does not return an Array",
        ),
        (
            "function Encoder(o, p) { return [1.5]; }",
            "Encoder not valid: should return an Array of integer numbers",
        ),
        (
            "function Encoder(o, p) { return ['1']; }",
            "Encoder not valid: should return an Array of integer numbers",
        ),
        (
            "function Encoder(o, p) { return [256]; }",
            "Encoder Output not valid: Numbers in Array should be between 0 and 255",
        ),
        (
            "function Encoder(o, p) { throw new Error('nope'); }",
            "Internal error: Encoder threw error: Error: nope at Encoder (<eval>:2:36)",
        ),
    ],
)
def test_an_encoder_that_fails_drops_the_downlink_with_v2s_text(server, encoder, error):
    server.formatters.set("my-app-id", encoder=encoder)
    failures = []
    server.network.subscribe(lambda event: failures.append(event.details), kinds=("failed",))
    with server.client() as client:
        assert send(client, {"on": True}).status_code == 202  # V2 encoded when sending
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x00\xfa")
    server.clock.run_until_idle()
    assert [failure["reason"] for failure in failures] == [error]


def test_uplinks_go_through_decoder_converter_and_validator(server, app):
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x00\xfa")  # 25.0 °C
    assert server.outbound.flush()
    (message,) = [body for *_, body in app.received]
    assert message["payload_fields"] == {"fahrenheit": 77}


def test_a_validator_saying_no_drops_the_uplink(server, app):
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x03\xe8")  # 100 °C: 212 °F
    assert server.outbound.flush()
    assert app.received == []


def test_a_decoder_that_fails_leaves_the_fields_out(server, app):
    server.formatters.set("my-app-id", decoder="function Decoder(b, p) { return [1]; }")
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x00\xfa")
    assert server.outbound.flush()
    (message,) = [body for *_, body in app.received]
    assert message["payload_raw"] == "APo=" and "payload_fields" not in message


def test_a_function_that_does_not_parse_is_refused(server):
    with pytest.raises(ValueError, match=r"encoder: SyntaxError: .*\(line 1:"):
        server.formatters.set("my-app-id", encoder="function Encoder( {")
