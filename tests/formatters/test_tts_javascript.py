"""The team's JavaScript in TTS's loop: push → queue → transmitted bytes, uplink →
`uplink_message.decoded_payload`, and every failure with TTS's own error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.formatters import engine
from mockserver.server import MockServer
from tests.conftest import AUTH
from tests.providers.tts_outbound.test_webhooks_end_to_end import Application

CODECS = Path(__file__).with_name("codecs")
ES5 = (CODECS / "es5_lookup.js").read_text()
ES2015 = (CODECS / "es2015_typed.js").read_text()
WEBHOOK = "/api/v3/as/applications/app1/webhooks/wh1/devices/{device}/down/{op}"
APP_AS = "/api/v3/as/applications/app1/devices/{device}/down/{op}"
SCRIPTING = "pkg/scripting/javascript"
JAVASCRIPT = "pkg/messageprocessors/javascript"


def world(app_url: str) -> dict[str, Any]:
    def device(device_id: str, number: int, **extra: Any) -> dict[str, Any]:
        return {
            "id": device_id,
            "dev_eui": f"70B3D57ED00000{number:02X}",
            "class": "C",
            "session": {"dev_addr": f"260B00{number:02X}"},
            **extra,
        }

    def javascript(script: str) -> dict[str, str]:
        return {
            "down_formatter": "FORMATTER_JAVASCRIPT",
            "down_formatter_parameter": script,
            "up_formatter": "FORMATTER_JAVASCRIPT",
            "up_formatter_parameter": script,
        }

    return {
        "tts": {
            "api_keys": [{"key": "NNSXS.XXXXXXXXX", "application": "app1", "placeholder": True}],
            "applications": [
                {
                    "id": "app1",
                    "default_formatters": {"up_formatter": "FORMATTER_CAYENNELPP"},
                    "webhooks": [
                        {
                            "id": "wh1",
                            "base_url": app_url,
                            "uplink_message": {"path": "/up"},
                            "downlink_queued": {"path": "/queued"},
                        }
                    ],
                    "devices": [
                        device("es5", 1, formatters=javascript(ES5)),
                        device("es2015", 2, formatters=javascript(ES2015)),
                        device("plain", 3),  # no formatters: the application's defaults
                        device("none", 4, formatters={"up_formatter": "FORMATTER_NONE"}),
                    ],
                }
            ],
        }
    }


@pytest.fixture
def app() -> Iterator[Application]:
    application = Application()
    yield application
    application.http.shutdown()


@pytest.fixture
def server(app: Application) -> Iterator[MockServer]:
    simulator = MockServer(world(app.url))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(server: MockServer):
    with server.client() as http:
        yield http


def push(client, device: str, *items: dict[str, Any], route: str = "webhook"):
    url = (WEBHOOK if route == "webhook" else APP_AS).format(device=device, op="push")
    return client.post(url, json={"downlinks": list(items)}, headers=AUTH)


def sent_downlinks(server: MockServer) -> list:
    """What the devices transmit from now on; each device's class C path is opened by an
    uplink first (the network knows no gateway for it before)."""
    for device in ("es5", "es2015"):
        server.uplink(f"app1.{device}", f_port=1, frm_payload=b"\x21\x00\x00")
    sent: list = []
    server.network.subscribe(lambda event: sent.extend(event.downlinks), kinds=("sent",))
    return sent


def assert_tts_error(response, status: int, namespace: str, name: str, **more: Any) -> dict:
    assert response.status_code == status, response.text
    detail = response.json()["details"][0]
    assert (detail["namespace"], detail["name"]) == (namespace, name), detail
    for key, value in more.items():
        assert detail[key] == value, detail
    return detail


def uplink_message(server: MockServer, app: Application, device: str, port: int, payload: bytes):
    server.uplink(f"app1.{device}", f_port=port, frm_payload=payload)
    assert server.outbound.flush()
    return app.messages("uplink_message")[-1][2]["uplink_message"]


# -- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ["webhook", "appas"])
def test_es5_codec_round_trips_push_to_transmitted_bytes(server, client, route):
    sent = sent_downlinks(server)
    data = {"mode": "boost", "led": True, "lock": True, "minutes": 300}
    assert push(client, "es5", {"decoded_payload": data}, route=route).status_code == 200
    server.clock.run_until_idle()
    (downlink,) = sent
    assert (downlink.f_port, downlink.frm_payload) == (10, bytes([0x35, 0x01, 0x2C]))
    assert downlink.extra["decoded_payload"] == data


def test_es2015_codec_with_typed_arrays_round_trips(server, client, app):
    sent = sent_downlinks(server)
    data = {"command": "interval", "seconds": 7200, "celsius": -21.3}
    assert push(client, "es2015", {"decoded_payload": data}).status_code == 200
    server.clock.run_until_idle()
    (downlink,) = sent
    assert (downlink.f_port, downlink.frm_payload.hex()) == (20, "021c20ff2b")
    assert downlink.extra["decoded_payload_warnings"] == ["long interval 021c20ff2b"]
    assert server.outbound.flush()
    queued = app.messages("downlink_queued")[-1][2]["downlink_queued"]
    assert queued["decoded_payload_warnings"] == ["long interval 021c20ff2b"]


@pytest.mark.parametrize(
    ("device", "payload", "decoded"),
    [
        (
            "es5",
            "0201ff",
            {"mode": "off", "minutes": 511, "led": False, "buzzer": True, "lock": False},
        ),
        ("es2015", "0300b4ff2b", {"command": "threshold", "seconds": 180, "celsius": -21.3}),
    ],
)
def test_pushed_bytes_are_decoded_into_decoded_payload(server, client, device, payload, decoded):
    frm_payload = bytes.fromhex(payload)
    body = {"f_port": 5, "frm_payload": __import__("base64").b64encode(frm_payload).decode()}
    assert push(client, device, body).status_code == 200
    (queued,) = server.network.get(f"app1.{device}").queue.snapshot()
    assert queued.frm_payload == frm_payload
    assert queued.extra["decoded_payload"] == decoded


def test_uplinks_carry_decoded_payload_and_warnings(server, app):
    uplink = uplink_message(server, app, "es5", 7, bytes([31, 0x80]))
    assert uplink["decoded_payload"] == {"battery": 3.1, "open": True, "port": 7}
    assert uplink["decoded_payload_warnings"] == ["low battery"]
    assert "normalized_payload" not in uplink  # not normalized measurements


def test_normalize_uplink_gives_normalized_payload_and_its_range_warnings(server, app):
    uplink = uplink_message(server, app, "es2015", 2, bytes.fromhex("f7ae00"))
    assert uplink["decoded_payload"] == {
        "temperature": -21.3,
        "humidity": 0,
        "raw": "f7ae00",
        "fPort": 2,
    }
    assert uplink["normalized_payload"] == [{"air": {"temperature": -21.3, "relativeHumidity": 0}}]
    cold = uplink_message(server, app, "es2015", 2, bytes.fromhex("804200"))  # -327.02 °C
    assert cold["normalized_payload_warnings"] == [
        "measurement 1: `air.temperature` should be equal or greater than `-273.15`"
    ]
    assert cold["normalized_payload"] == [{"air": {"relativeHumidity": 0}}]


def test_device_without_formatters_uses_the_application_defaults(server, app):
    uplink = uplink_message(server, app, "plain", 1, bytes.fromhex("03670110"))  # CayenneLPP
    assert uplink["decoded_payload"] == {"temperature_3": 27.2}
    assert "decoded_payload" not in uplink_message(server, app, "none", 1, b"\x03\x67\x01\x10")


def test_a_failing_uplink_decoder_leaves_decoded_payload_out(server, app):
    server.formatters.set("app1.es5", up="function decodeUplink() { throw new Error('no') }")
    uplink = uplink_message(server, app, "es5", 1, b"\x01")
    assert uplink["frm_payload"] == "AQ==" and "decoded_payload" not in uplink


# -- TTS's errors ------------------------------------------------------------------------------
ENCODE_FAILURES = [
    (
        "function encodeDownlink(input) {\n  throw new Error('boom');\n}",
        409,
        SCRIPTING,
        "script",
        {"message": "Error: boom at encodeDownlink (<eval>:3:13)"},
    ),
    ("function encodeDownlink(input) { return 5; }", 500, JAVASCRIPT, "output", None),
    ("function encodeDownlink(input) { return {bytes: 7}; }", 500, JAVASCRIPT, "output", None),
    (
        "function encodeDownlink(input) { return {bytes: [1], errors: ['a', 'b']}; }",
        409,
        JAVASCRIPT,
        "output_errors",
        {"errors": "a, b"},
    ),
    (
        "function decodeUplink(input) { return {data: {}}; }",
        409,
        SCRIPTING,
        "script",
        # line 9 of the program: TTS's own wrapper puts the call on line 10
        {"message": "ReferenceError: Encoder is not defined at main (<eval>:9:20)"},
    ),
    ("var main = 1;", 404, SCRIPTING, "entrypoint_not_found", {"entrypoint": "main"}),
    (
        "function encodeDownlink() { var a = []; while (true) a.push(new Array(1e6).fill(7)); }",
        409,
        SCRIPTING,
        "script",
        None,
    ),
]


@pytest.mark.parametrize("route", ["webhook", "appas"])
@pytest.mark.parametrize(("script", "status", "namespace", "name", "attributes"), ENCODE_FAILURES)
def test_encoder_failures_are_ttss_errors_and_queue_nothing(
    server, client, route, script, status, namespace, name, attributes
):
    server.formatters.set("app1.es5", down=script)
    response = push(client, "es5", {"decoded_payload": {"x": 1}}, route=route)
    detail = assert_tts_error(response, status, namespace, name)
    if attributes is not None:
        assert detail["attributes"] == attributes
    assert server.network.get("app1.es5").queue.snapshot() == []


def test_null_result_is_output_caused_by_no_script_output(server, client):
    server.formatters.set("app1.es5", down="function encodeDownlink() { return null; }")
    detail = assert_tts_error(
        push(client, "es5", {"decoded_payload": {}}), 409, JAVASCRIPT, "output"
    )
    assert (detail["cause"]["namespace"], detail["cause"]["name"]) == (
        SCRIPTING,
        "no_script_output",
    )


def test_huge_allocation_is_a_script_error_and_the_server_goes_on(server, client):
    server.formatters.set("app1.es5", down=ENCODE_FAILURES[-1][0])
    detail = assert_tts_error(
        push(client, "es5", {"decoded_payload": {}}), 409, SCRIPTING, "script"
    )
    assert detail["attributes"]["message"].startswith("InternalError: out of memory")
    server.formatters.set("app1.es5", down=ES5)
    assert push(client, "es5", {"decoded_payload": {"mode": "eco"}}).status_code == 200


def test_endless_loop_is_script_timeout_and_the_server_goes_on(server, client):
    server.formatters.set("app1.es5", down="function encodeDownlink() { for (;;) {} }")
    response = push(client, "es5", {"decoded_payload": {}}, route="appas")
    assert_tts_error(response, 504, SCRIPTING, "script_timeout", message_format="script timeout")
    assert push(client, "es2015", {"decoded_payload": {"command": "reboot"}}).status_code == 200


def test_out_of_range_bytes_are_converted_as_goja_converts_them(server, client):
    script = "function encodeDownlink() { return {bytes: [300, -1, 1.9, '7', null, true]}; }"
    server.formatters.set("app1.es5", down=script)
    assert push(client, "es5", {"f_port": 3, "decoded_payload": {}}).status_code == 200
    (queued,) = server.network.get("app1.es5").queue.snapshot()
    assert (queued.f_port, list(queued.frm_payload)) == (3, [44, 255, 1, 7, 0, 1])


def test_frm_payload_with_a_failing_decoder_is_still_queued(server, client):
    server.formatters.set("app1.es5", down="function decodeDownlink() { return {errors: ['x']}; }")
    assert push(client, "es5", {"f_port": 1, "frm_payload": "AQ=="}).status_code == 200
    (queued,) = server.network.get("app1.es5").queue.snapshot()
    assert queued.frm_payload == b"\x01" and "decoded_payload" not in (queued.extra or {})


# -- where scripts come from -------------------------------------------------------------------
def test_a_script_that_does_not_parse_is_refused_when_set(server, tmp_path):
    codec = tmp_path / "codec.js"
    codec.write_text("function encodeDownlink(input) {\n  return {bytes: [1,]]};\n}\n")
    with pytest.raises(engine.CompileError) as refused:
        server.formatters.set("app1.es5", down=codec)
    assert (refused.value.line, refused.value.column) == (2, 22)
    assert str(refused.value).startswith("codec.js: SyntaxError: ")
    assert server.formatters.get("app1.es5")["down_formatter_origin"] == "inline"  # unchanged


def test_python_api_loads_the_very_file_the_team_deploys(server, client, tmp_path):
    codec = tmp_path / "deployed.js"
    codec.write_text("function encodeDownlink(i) { return {bytes: [i.data.n * 2], fPort: 9}; }")
    assert server.formatters.set("app1.plain", down=codec)["down_formatter_origin"] == "deployed.js"
    assert push(client, "plain", {"decoded_payload": {"n": 21}}).status_code == 200
    (queued,) = server.network.get("app1.plain").queue.snapshot()
    assert (queued.f_port, queued.frm_payload) == (9, b"\x2a")


def test_admin_api_sets_scripts_as_text_and_refuses_what_does_not_parse(server, client):
    url = "/_mock/devices/app1.plain/formatters"
    script = "function encodeDownlink(i) { return {bytes: [5]}; }"
    response = client.put(f"{url}/down", content=script.encode())
    assert response.status_code == 200, response.text
    assert response.json()["down_formatter"] == "FORMATTER_JAVASCRIPT"
    refused = client.put(
        url, json={"up_formatter": "FORMATTER_JAVASCRIPT", "up_formatter_parameter": "let ="}
    )
    assert refused.status_code == 400
    assert "SyntaxError" in refused.json()["error"] and "(line 1:" in refused.json()["error"]
    assert client.put("/_mock/devices/app1.nope/formatters/down", content=b"x").status_code == 404
    assert push(client, "plain", {"f_port": 2, "decoded_payload": {}}).status_code == 200
    assert server.network.get("app1.plain").queue.snapshot()[0].frm_payload == b"\x05"


def test_world_file_scripts_by_path_relative_to_the_world(tmp_path):
    (tmp_path / "codecs").mkdir()
    (tmp_path / "codecs" / "dev.js").write_text(ES5)
    world_file = tmp_path / "world.yaml"
    world_file.write_text(
        "tts:\n  applications:\n    - id: app1\n      devices:\n        - id: dev1\n"
        "          session: {dev_addr: 260B0001}\n          formatters:\n"
        "            down_formatter: FORMATTER_JAVASCRIPT\n"
        "            down_formatter_parameter_file: codecs/dev.js\n"
    )
    simulator = MockServer(world_file)
    assert simulator.formatters.get("app1.dev1")["down_formatter_origin"] == "codecs/dev.js"
    (tmp_path / "codecs" / "dev.js").write_text("function encodeDownlink( {")
    with pytest.raises(
        ValueError, match=r"formatters/down_formatter_parameter: .*SyntaxError.*line 1:"
    ):
        MockServer(world_file)


def test_a_world_reset_starts_from_the_worlds_own_scripts(server, client):
    server.formatters.set("app1.es5", down="function encodeDownlink() { return {bytes: [9]}; }")
    server.reset()
    assert push(client, "es5", {"decoded_payload": {"mode": "eco"}}).status_code == 200
    assert server.network.get("app1.es5").queue.snapshot()[0].frm_payload[0] == 0x10
