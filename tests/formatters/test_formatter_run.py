"""Issue 20, item 18: `mockserver formatter run FILE --uplink HEX --f-port N` and the
Python function behind it (`mockserver.formatters.trial.run`): one script, one input, as
TTS runs it, without a device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import mockserver
from mockserver.formatters import engine, trial
from mockserver.formatters.tts_errors import TTSError

SCRIPT = """'use strict';
function decodeUplink(input) {
  return { data: { celsius: (input.bytes[0] << 8 | input.bytes[1]) / 10,
                   at: input.recvTime.toISOString(), port: input.fPort } };
}
function encodeDownlink(input) { return { bytes: [input.data.on ? 1 : 0], fPort: 5 }; }
function decodeDownlink(input) { return { data: { on: input.bytes[0] === 1 } }; }
"""
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_run_decodes_an_uplink_as_the_test_route_answers():
    answer = trial.run(SCRIPT, uplink=bytes.fromhex("00ff"), f_port=2, recv_time=WHEN)
    assert answer == {
        "uplink": {
            "f_port": 2,
            "frm_payload": "AP8=",
            "decoded_payload": {"celsius": 25.5, "at": "2026-01-02T03:04:05.000Z", "port": 2},
        }
    }


def test_run_encodes_and_decodes_downlinks():
    encoded = trial.run(SCRIPT, encode={"on": True}, f_port=0)
    assert encoded == {
        "downlink": {"decoded_payload": {"on": True}, "f_port": 5, "frm_payload": "AQ=="}
    }
    decoded = trial.run(SCRIPT, downlink=b"\x01", f_port=5)
    assert decoded["downlink"]["decoded_payload"] == {"on": True}


def test_run_refuses_what_does_not_parse_and_raises_ttss_errors():
    with pytest.raises(engine.CompileError, match=r"codec.js: SyntaxError.*line 1:9"):
        trial.run("var x = ;", uplink=b"\x01", f_port=1, name="codec.js")
    with pytest.raises(TTSError) as raised:
        trial.run("function decodeUplink() { return 42; }", uplink=b"\x01", f_port=1)
    assert raised.value.definition.name == "output"
    with pytest.raises(ValueError, match="exactly one"):
        trial.run(SCRIPT, uplink=b"\x01", downlink=b"\x01", f_port=1)


def _cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    root = str(Path(mockserver.__file__).parent.parent)
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "formatter", "run", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
        timeout=120,
        check=False,
    )


def test_the_command_prints_the_answer_and_exits_by_outcome(tmp_path):
    codec = tmp_path / "codec.js"
    codec.write_text(SCRIPT)
    done = _cli(
        str(codec), "--uplink", "00ff", "--f-port", "2", "--recv-time", "2026-01-02T03:04:05Z"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["uplink"]["decoded_payload"]["celsius"] == 25.5
    failing = tmp_path / "failing.js"
    failing.write_text("function decodeUplink() { throw new Error('boom'); }")
    failed = _cli(str(failing), "--uplink", "01")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["details"][0]["name"] == "script"
    broken = tmp_path / "broken.js"
    broken.write_text("var x = ;")
    refused = _cli(str(broken), "--uplink", "01")
    assert refused.returncode == 2 and "broken.js: SyntaxError" in refused.stderr
