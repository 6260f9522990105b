"""The vendor-codec harness reads and compares examples as the Device Repository and TTS do:
found wrong by running real vendors' codecs (tests/formatters/vendor/README.md). The codec
and examples below are ours."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

from tests.formatters import js_yaml, vendor_known_wrong
from tests.formatters.vendor_examples import Example, examples, expected, run, same


def test_yaml_reads_words_as_js_yaml_does_not_as_yaml_1_1():
    document = js_yaml.load(
        "a: on\nb: off\nc: yes\nd: no\nNO: 70\nf: Yes\nt: true\nu: True\nv: FALSE\nn: ~\n"
    )
    assert document == {
        "a": "on",
        "b": "off",
        "c": "yes",
        "d": "no",
        "NO": 70,  # PyYAML: the key False
        "f": "Yes",
        "t": True,
        "u": True,
        "v": False,
        "n": None,
    }


def test_yaml_reads_numbers_as_js_yaml_does():
    document = js_yaml.load(
        "dec: 00012074\nten: 010\nhex: 0x1F\noct: 0o17\nbin: 0b101\nsep: 1_000\n"
        "neg: -0x10\nexp: 1e3\nexp2: 2.5E-2\ndot: 3.\nfrac: .5\ninf: -.inf\n"
        "sixty: 1:20\nzero_sep: 0_1\ntrail: 1_\nlist: [0x01, 0xFF, 07]\n"
    )
    assert document == {
        "dec": 12074,  # PyYAML: octal, 5180
        "ten": 10,
        "hex": 31,
        "oct": 15,
        "bin": 5,
        "sep": 1000,
        "neg": -16,
        "exp": 1000.0,  # PyYAML: the text "1e3"
        "exp2": 0.025,
        "dot": 3.0,
        "frac": 0.5,
        "inf": -math.inf,
        "sixty": "1:20",  # PyYAML: sexagesimal 80
        "zero_sep": 1.0,  # no integer there, but js-yaml's float takes it
        "trail": "1_",
        "list": [1, 255, 7],
    }
    nan = js_yaml.load("x: .NaN")["x"]
    assert nan != nan


def test_yaml_keeps_timestamps():
    document = js_yaml.load("t: 2024-05-06T07:08:09Z\nd: 2024-05-06\n")
    assert document["t"] == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert document["d"] == date(2024, 5, 6)


_CODEC = """\
uplinkDecoder:
  fileName: switch.js
  examples:
    - description: words stay words
      input: {fPort: 2, bytes: [1, 0]}
      output:
        data: {relay: on, led: off, NO: 1}
        extra: ignored
downlinkEncoder:
  fileName: switch.js
  examples:
    - description: a port beside fPort is the script's own field
      input:
        data: {relay: on}
      output:
        bytes: [1]
        port: 100
    - description: a field beside data never reaches the script
      input:
        command: 2
        data: {relay: on}
      output:
        bytes: [2]
        fPort: 5
"""
_SCRIPT = """\
function decodeUplink(input) {
  return {data: {relay: input.bytes[0] ? "on" : "off", led: input.bytes[1] ? "on" : "off",
                 NO: input.bytes[0]}};
}
function encodeDownlink(input) {
  if (input.command === 2) return {bytes: [2], fPort: 5};
  return {bytes: [input.data.relay === "on" ? 1 : 0], port: 100};
}
"""


def _examples(tmp_path: Path) -> list[Example]:
    vendor = tmp_path / "ours"
    vendor.mkdir()
    (vendor / "switch-codec.yaml").write_text(_CODEC)
    (vendor / "switch.js").write_text(_SCRIPT)
    return list(examples(tmp_path))


def test_examples_are_compared_in_tts_terms(tmp_path: Path):
    uplink, port, _command = _examples(tmp_path)
    assert same(run(uplink), expected(uplink))  # `extra` is no field of TTS's
    assert expected(port) == {"bytes": [1], "fPort": 1}  # TTS drops `port`; FPort 1
    assert same(run(port), expected(port))
    assert vendor_known_wrong.reason(uplink) is None
    assert vendor_known_wrong.reason(port) is None


def test_an_example_that_needs_more_than_tts_passes_is_known_wrong(tmp_path: Path):
    command = _examples(tmp_path)[2]
    assert not same(run(command), expected(command))  # TTS gives the script no `command`
    reason = vendor_known_wrong.reason(command)
    assert reason is not None and "['command']" in reason


def test_a_known_wrong_entry_excuses_only_the_example_it_describes(tmp_path: Path):
    uplink = _examples(tmp_path)[0]
    known = {uplink.id: ("another description", "why")}
    original = dict(vendor_known_wrong.KNOWN_WRONG)
    try:
        vendor_known_wrong.KNOWN_WRONG.update(known)
        assert vendor_known_wrong.reason(uplink) is None
        vendor_known_wrong.KNOWN_WRONG[uplink.id] = (uplink.description, "why")
        assert vendor_known_wrong.reason(uplink) == "why"
    finally:
        vendor_known_wrong.KNOWN_WRONG.clear()
        vendor_known_wrong.KNOWN_WRONG.update(original)
