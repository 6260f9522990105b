"""CayenneLPP as TTS's go-cayenne-lib reads and writes it."""

from __future__ import annotations

import pytest

from mockserver.formatters import cayennelpp


def test_uplink_of_every_type():
    payload = bytes.fromhex(
        "010000"
        "020101"
        "0302ff38"
        "04030064"
        "05650190"
        "066601"
        "0767ff2b"
        "086861"
        "0971000100020003"
        "0a7327d5"
        "0b86000a0014001e"
        "0c88069765f8b0ae000064"
    )
    assert cayennelpp.decode_uplink(payload) == {
        "digital_in_1": 0,
        "digital_out_2": 1,
        "analog_in_3": -2,
        "analog_out_4": 1,
        "luminosity_5": 400,
        "presence_6": 1,
        "temperature_7": -21.3,
        "relative_humidity_8": 48.5,
        "accelerometer_9": {"x": 0.001, "y": 0.002, "z": 0.003},
        "barometric_pressure_10": 1019.7,
        "gyrometer_11": {"x": 0.1, "y": 0.2, "z": 0.3},
        "gps_12": {"latitude": 43.1973, "longitude": -47.9058, "altitude": 1},
    }


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("0367ff", cayennelpp.UNEXPECTED_EOF),
        ("03", cayennelpp.UNEXPECTED_EOF),
        ("0399", cayennelpp.UNKNOWN_TYPE),
    ],
)
def test_uplink_decoding_errors(payload, error):
    with pytest.raises(cayennelpp.DecodeError, match=error):
        cayennelpp.decode_uplink(bytes.fromhex(payload))


def test_downlink_encodes_value_keys_only_and_decodes_back():
    encoded = cayennelpp.encode_downlink(
        {
            "value_1": 12.34,
            "value_2": -1,
            "value_x": 5,
            "other_3": 1,
            "value_4": "7",
            "value_5": True,
        }
    )
    assert encoded == bytes.fromhex("0104d202ff9c")
    assert cayennelpp.decode_downlink(encoded + b"\xff\x09") == {"value_1": 12.34, "value_2": -1}
