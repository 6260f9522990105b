"""Examples of the Device Repository's codec files that TTS itself would not give, each
with why: the vendor's example is wrong, not the engine. Found by running the repository's
codecs (tests/formatters/vendor/README.md, "Real codecs, run locally"); each reason was
checked against the codec's script and TTS's wrapper (pkg/messageprocessors/javascript).

An entry names the example by its id and its description, so that a later version of the
file whose N-th example is another one is not excused by it. An excused example that
passes simply passes."""

from __future__ import annotations

from tests.formatters.vendor_examples import Example

_FPORT_IGNORED = (
    "the codec never reads fPort: TTS decodes the bytes on port 42 as on any other and "
    "returns data, not the example's 'unknown FPort' error"
)
_OTHER_DEVICE = (
    "the example's output is another device's (copied from the LHT65N's file): this "
    "codec decodes those bytes to other fields"
)

#: id → (description, reason)
KNOWN_WRONG: dict[str, tuple[str, str]] = {
    "b-meters/iwmlr3-codec.yaml:uplinkDecoder:1": (
        "Payload example",
        "the example spells `aplication` and gives counters the codec does not compute "
        "(the codec's `application`, valueCounter 73802)",
    ),
    "dragino/d2x-lb-codec.yaml:uplinkDecoder:1": ("Temperature", _OTHER_DEVICE),
    "dragino/d2x-lb-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "dragino/gro-point-air-codec.yaml:uplinkDecoder:1": (
        "soil moisture",
        "the example's output has fields (TempC_DS18B20, conduct_SOIL) this codec never "
        "sets; it decodes those bytes to `bat` and `sen`",
    ),
    "dragino/gro-point-air-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "dragino/lht65n-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "dragino/lht65n-e31f-codec.yaml:uplinkDecoder:1": ("Temperature", _OTHER_DEVICE),
    "dragino/lht65n-e31f-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "dragino/lht65n-pir-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "dragino/lmds120-codec.yaml:uplinkDecoder:1": (
        "LoRaWAN Microwave Radar distance sensor",
        "the codec file names lmds120.js, which the repository does not have",
    ),
    "dragino/lmds120-codec.yaml:uplinkDecoder:2": (
        "Unknown FPort",
        "the codec file names lmds120.js, which the repository does not have",
    ),
    "dragino/ps-lb-codec.yaml:uplinkDecoder:1": ("LoRaWAN Pressure Sensor", _OTHER_DEVICE),
    "dragino/ps-lb-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "dragino/s31-lb-codec.yaml:uplinkDecoder:1": ("Temperature", _OTHER_DEVICE),
    "dragino/s31-lb-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "dragino/sdi-12-codec.yaml:uplinkDecoder:1": ("SDI_Sensor", _OTHER_DEVICE),
    "dragino/sdi-12-codec.yaml:uplinkDecoder:2": ("Unknown FPort", _FPORT_IGNORED),
    "elvaco/cmi4111-codec.yaml:uplinkDecoder:1": (
        "Landis UH temperature, energy, volume, power, flow, flow_temperature, "
        "return_temperature, serial, and error flag.",
        "the codec calls console.log, and TTS's runtime (goja, with nothing added) has no "
        "`console`: TTS answers a ReferenceError. The example's strings (`9818,`) were made "
        "where a console existed",
    ),
    "milesight-iot/ts30x-codec.yaml:uplinkDecoder:1": (
        "LoRa Controllers (example 1) - Milesight IoT",
        "the examples are the UC300's (channels the TS30x codec does not know): TTS gives {}",
    ),
    "milesight-iot/ts30x-codec.yaml:uplinkDecoder:2": (
        "LoRa Controllers (example 2) - Milesgiht IoT",
        "the examples are the UC300's (channels the TS30x codec does not know): TTS gives {}",
    ),
    "moko/lw001-bg-codec.yaml:uplinkDecoder:1": (
        "heratbeat payload",
        "the example is an older version's output (`battery voltage`, numbers as strings)",
    ),
    "moko/lw001-bg-codec.yaml:uplinkDecoder:2": (
        "gps fixed payload",
        "the example is an older version's output (`battery voltage`, numbers as strings)",
    ),
}


def reason(example: Example) -> str | None:
    """Why TTS would not give the example's output, when it is known; else None."""
    known = KNOWN_WRONG.get(example.id)
    if known is not None and known[0] == example.description:
        return known[1]
    extra = sorted(set(example.input) - {"data", "fPort"})
    if example.routine == "downlinkEncoder" and extra:
        # TTS calls encodeDownlink({data, fPort}) and nothing else reaches the script.
        return f"TTS passes encodeDownlink only `data` and `fPort`, not the example's {extra}"
    return None
