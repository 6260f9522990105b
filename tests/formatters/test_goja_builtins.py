"""Built-ins where QuickJS and goja (TTS's engine) differ, made goja's: running real vendors'
codecs (tests/formatters/vendor/README.md) showed what scripts lean on. Each script here is
ours; each expected value is what goja gives (its builtin_date.go / date.go layouts, its
global object in builtin_global.go, its Number.prototype.toLocaleString), with Go's
`time.Local` UTC as where TTS runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mockserver.formatters import engine, tts_javascript
from mockserver.formatters import tts_errors as errors

ROOT = Path(__file__).resolve().parents[2]
MOMENT = "Date.UTC(2024, 0, 2, 3, 4, 5, 6)"  # a Tuesday, 03:04:05.006 UTC


def value(script: str) -> Any:
    """What `f()` of `script` returns, as plain JSON."""
    outcome = engine.run(script, "f")
    assert outcome.stage == "done", outcome
    return _plain(outcome.value)


def _plain(tagged: list[Any]) -> Any:
    kind = tagged[0]
    if kind == "a":
        return [_plain(item) for item in tagged[1]]
    if kind == "o":
        return {key: _plain(item) for key, item in tagged[1]}
    return tagged[1] if len(tagged) > 1 else None


def test_a_dates_text_is_gojas():
    texts = value(f"""function f() {{
        var d = new Date({MOMENT});
        return [d.toString(), String(d), `${{d}}`, d + "", d.toDateString(), d.toTimeString(),
                d.toLocaleString(), d.toLocaleDateString(), d.toLocaleTimeString(),
                d.toLocaleString("en-US", {{hour12: true}}), d.toUTCString(), d.toISOString()];
    }}""")
    assert texts == [
        "Tue Jan 02 2024 03:04:05 GMT+0000 (UTC)",  # QuickJS: no "(UTC)"
        "Tue Jan 02 2024 03:04:05 GMT+0000 (UTC)",
        "Tue Jan 02 2024 03:04:05 GMT+0000 (UTC)",
        "Tue Jan 02 2024 03:04:05 GMT+0000 (UTC)",
        "Tue Jan 02 2024",
        "03:04:05 GMT+0000 (UTC)",
        "01/02/2024, 03:04:05",  # QuickJS: "01/02/2024, 03:04:05 AM"
        "01/02/2024",
        "03:04:05",  # QuickJS: "03:04:05 AM"
        "01/02/2024, 03:04:05",  # goja takes no locale or options
        "Tue, 02 Jan 2024 03:04:05 GMT",
        "2024-01-02T03:04:05.006Z",
    ]


def test_an_invalid_dates_text_is_invalid_date_in_every_form():
    texts = value("""function f() {
        var d = new Date(NaN);
        return [d.toString(), d.toDateString(), d.toTimeString(), d.toLocaleString(),
                d.toLocaleDateString(), d.toLocaleTimeString()];
    }""")
    assert texts == ["Invalid Date"] * 6


def test_years_are_four_digits_as_go_writes_them():
    assert value("function f() { return new Date(Date.UTC(812, 5, 1)).toLocaleDateString(); }") == (
        "06/01/0812"
    )


_LOCAL_TIME = f"""function f() {{
    var d = new Date({MOMENT});
    return [d.getHours(), d.getDate(), d.getTimezoneOffset(), d.toString(),
            new Date(2024, 6, 2, 3).getTime() === Date.UTC(2024, 6, 2, 3),
            Date.parse("2024-07-02 03:00:00") === Date.UTC(2024, 6, 2, 3),
            new Date("2024-07-02T03:00:00").getTime() === Date.UTC(2024, 6, 2, 3),
            Date.parse("2024-07-02T03:00:00+02:00") === Date.UTC(2024, 6, 2, 1),
            Date.parse("2024-07-02") === Date.UTC(2024, 6, 2),
            (function () {{ var x = new Date(0); x.setHours(5); return x.getTime(); }})(),
            d instanceof Date, new Date(d).getTime() === d.getTime(),
            Object.prototype.toString.call(d)];
}}"""
_UTC_ANSWER = [
    3,
    2,
    0,
    "Tue Jan 02 2024 03:04:05 GMT+0000 (UTC)",
    True,
    True,
    True,
    True,
    True,
    5 * 3600 * 1000,
    True,
    True,
    "[object Date]",
]


def test_local_time_is_utc_as_where_tts_runs():
    assert value(_LOCAL_TIME) == _UTC_ANSWER


def test_the_hosts_time_zone_does_not_leak_into_a_script():
    """On a machine set to Amsterdam (an hour ahead, two in summer), QuickJS alone would
    answer 4 for getHours, -60 for the offset and take parts and zone-less text as local."""
    program = (
        "import json, sys\n"
        "from mockserver.formatters import engine\n"
        "from tests.formatters.test_goja_builtins import _LOCAL_TIME, _plain\n"
        "print(json.dumps(_plain(engine.run(_LOCAL_TIME, 'f').value)))\n"
    )
    environment = {**os.environ, "TZ": "Europe/Amsterdam", "PYTHONPATH": str(ROOT)}
    answer = subprocess.run(
        [sys.executable, "-c", program],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(answer.stdout) == _UTC_ANSWER


def test_recv_time_reads_in_utc():
    script = """function decodeUplink(input) {
        var t = input.recvTime;
        return {data: {hour: t.getHours(), text: t.toLocaleString()}};
    }"""
    decoded = tts_javascript.decode_uplink(script, b"\x01", 1, recv_time_ms=1704164645006)
    assert decoded.data == {"hour": 3, "text": "01/02/2024, 03:04:05"}


def test_globals_goja_lacks_are_not_there():
    missing = value("""function f() {
        return [typeof atob, typeof btoa, typeof performance, typeof queueMicrotask,
                typeof WeakRef, typeof FinalizationRegistry, typeof SharedArrayBuffer,
                typeof Atomics, typeof Iterator, typeof InternalError, typeof DOMException,
                typeof __mockserverPow, typeof __mockserverDate];
    }""")
    assert missing == ["undefined"] * 13


def test_gojas_globals_are_all_there():
    names = sorted(engine._GOJA_GLOBALS - {"NaN", "undefined", "Infinity", "globalThis"})
    kinds = value(f"function f() {{ return {json.dumps(names)}.map(n => typeof globalThis[n]); }}")
    assert "undefined" not in kinds


def test_a_codec_that_leans_on_atob_fails_as_in_tts():
    script = "function decodeUplink(input) { return {data: {text: atob('aGk=')}}; }"
    try:
        tts_javascript.decode_uplink(script, b"\x01", 1)
    except errors.TTSError as error:
        assert error.definition.name == "script"
        assert error.attributes["message"].startswith("ReferenceError: atob is not defined")
    else:
        raise AssertionError("atob ran")


def test_a_numbers_locale_string_is_its_string_with_a_radix():
    texts = value("""function f() {
        var out = [(1234.5).toLocaleString(), (255).toLocaleString(16), [1.5, 2].toLocaleString()];
        try { out.push((1234.5).toLocaleString("en-US")); } catch (e) { out.push(String(e)); }
        return out;
    }""")
    assert texts == [
        "1234.5",  # an Intl-aware engine: "1,234.5"
        "ff",
        "1.5,2",
        "RangeError: toString() radix argument must be between 2 and 36",
    ]


def test_logarithms_are_gos():
    """goja answers Math.log, log10 and log2 with Go's math package; these arguments are
    ones where QuickJS's libm gives the neighbouring double (shown in the comments)."""
    results = value("""function f() {
        return [Math.log(146.2), Math.log(178.5), Math.log10(13.6), Math.log10(25.5),
                Math.log2(39.1), Math.log2(154.7), Math.log2(1024), Math.log10(1000),
                Math.log(0), Math.log(-1), Math.log(5e-324)];
    }""")
    assert results == [
        4.984975547315678,  # libm: 4.9849755473156785
        5.184588601219694,  # libm: 5.184588601219693
        1.1335389083702176,  # libm: 1.1335389083702174
        1.406540180433955,  # libm: 1.4065401804339552
        5.2890967024199895,  # libm: 5.28909670241999
        7.273329386561674,  # libm: 7.273329386561673
        10,
        3,
        "-Infinity",
        "NaN",
        -709.0895657128241,  # amd64 Go does not normalize a subnormal first
    ]


def _script_message(script: str) -> str:
    try:
        tts_javascript.decode_uplink(script, b"\x01", 1)
    except errors.TTSError as error:
        return str(error.attributes["message"]).split(" at ")[0]
    raise AssertionError("the script ran")


def test_a_read_of_undefined_or_null_is_worded_as_goja_words_it():
    """QuickJS: `cannot read property 'bar' of null`; goja (vm.go) says `of undefined` for
    both, and `of undefined or null` when the property is called."""
    read = "function decodeUplink(input) {\n  var a = input.foo.bar;\n  return {data: {}};\n}"
    null = "function decodeUplink(input) {\n  var n = null;\n  return {data: {b: n.bar}};\n}"
    call = "function decodeUplink(input) {\n  return {data: {b: input.foo.baz(1)}};\n}"
    index = "function decodeUplink(input) {\n  return {data: {b: input.foo[3]}};\n}"
    assert _script_message(read) == "TypeError: Cannot read property 'bar' of undefined"
    assert _script_message(null) == "TypeError: Cannot read property 'bar' of undefined"
    assert _script_message(call) == "TypeError: Cannot read property 'baz' of undefined or null"
    assert _script_message(index) == "TypeError: Cannot read property '3' of undefined"
