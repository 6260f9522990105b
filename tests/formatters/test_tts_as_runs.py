"""Issue 20, item 17: scripts run as TTS runs them: as ordinary global code (a script that
starts with `'use strict';` keeps its functions), `Math.pow` as Go's `math.Pow`, and the
uplink input with `recvTime`."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import quickjs

from mockserver.formatters import engine, tts_javascript

DATA = Path(__file__).with_name("data")
STRICT = """'use strict';
function decodeUplink(input) { return { data: { first: input.bytes[0], port: input.fPort } }; }
function encodeDownlink(input) { return { bytes: [input.data.level], fPort: 3 }; }
function decodeDownlink(input) { return { data: { level: input.bytes[0] } }; }
"""


def test_a_strict_script_keeps_its_functions_for_every_routine():
    assert tts_javascript.decode_uplink(STRICT, b"\x07", 9).data == {"first": 7, "port": 9}
    encoded = tts_javascript.encode_downlink(STRICT, {"level": 4}, 0)
    assert (encoded.frm_payload, encoded.f_port) == (b"\x04", 3)
    assert tts_javascript.decode_downlink(STRICT, b"\x05", 3).data == {"level": 5}


def test_strict_code_stays_strict():
    """TTS runs the whole program as strict global code: an undeclared assignment throws."""
    outcome = engine.run("'use strict';\nfunction main() { leak = 1; return 1; }", "main")
    assert outcome.stage == "call" and outcome.text.startswith("ReferenceError")
    assert engine.run("function main() { leak = 1; return leak; }", "main").value == ["d", 1]


def _go_cases() -> list[tuple[float, float, float]]:
    cases = []
    for line in (DATA / "go_math_pow.txt").read_text().splitlines():
        x, y, bits = line.split()
        cases.append((float(x), float(y), struct.unpack("<d", struct.pack("<Q", int(bits)))[0]))
    return cases


def test_math_pow_gives_gos_math_pow_where_quickjs_differs():
    cases = _go_cases()
    pairs = json.dumps([[x, y] for x, y, _ in cases])
    each = ".map(function (p) { return String(Math.pow(p[0], p[1])); })"
    ours = [
        float(node[1])
        for node in engine.run(
            f"function main(p) {{ return p{each}; }}", "main", json.loads(pairs)
        ).value[1]
    ]
    native = [
        float(text) for text in json.loads(quickjs.Context().eval(f"JSON.stringify({pairs}{each})"))
    ]
    expected = [value for _, _, value in cases]
    # The cases prove something: QuickJS's own Math.pow misses most of them.
    assert sum(a != b for a, b in zip(native, expected, strict=True)) > 100
    assert ours == expected
    # e.g. 1.1 ** 10: Go 2.593742460100002, QuickJS 2.5937424601000023
    assert ours[[c[:2] for c in cases].index((1.1, 10.0))] == 2.593742460100002


def test_math_pow_special_cases_and_integers():
    script = """function main() { return [Math.pow(2, 10), Math.pow(-2, 3), Math.pow(0, -1),
        Math.pow(-0, -3), Math.pow(4, 0.5), Math.pow(-8, 1/3), Math.pow(2, -1074),
        Math.pow(10, 400), Math.pow(-1, Infinity), Math.pow.name, Math.pow.length]; }"""
    values = [node[1] for node in engine.run(script, "main").value[1]]
    # Go: Pow(-1, ±Inf) = 1 (JavaScript's own answer would be NaN).
    assert values == [1024, -8, "Infinity", "-Infinity", 2, "NaN", 5e-324, "Infinity", 1, "pow", 2]


def test_the_uplink_input_carries_recv_time_as_a_date():
    script = """function decodeUplink(input) {
        var time = input.recvTime;
        return { data: { iso: time.toISOString(), isDate: time instanceof Date } };
    }"""
    decoded = tts_javascript.decode_uplink(script, b"\x01", 1, recv_time_ms=1_700_000_000_123)
    assert decoded.data == {"iso": "2023-11-14T22:13:20.123Z", "isDate": True}
