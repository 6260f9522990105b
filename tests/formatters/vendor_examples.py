"""Codecs with their examples, in the layout of TheThingsNetwork/lorawan-devices (the
Device Repository TTS's console reads codecs from): a codec file (`*-codec.yaml`) names
the script of each routine (`uplinkDecoder`, `downlinkEncoder`, `downlinkDecoder`,
`fileName`) and lists `examples` (`input`, then the expected `output`: `data`, `bytes`,
`fPort`, `warnings`, `errors`). Each example runs as TTS runs the script
(mockserver.formatters.trial) and must give that output."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mockserver.formatters import trial
from mockserver.formatters.tts_errors import TTSError
from tests.formatters import js_yaml

ROUTINES = ("uplinkDecoder", "downlinkEncoder", "downlinkDecoder")
#: What TTS reads of each routine's result (pkg/messageprocessors/javascript reads it into a
#: Go struct of these fields; any other field the script returns, such as a `port` beside
#: `fPort`, is dropped there and never seen).
FIELDS = {
    "uplinkDecoder": ("data", "warnings", "errors"),
    "downlinkDecoder": ("data", "warnings", "errors"),
    "downlinkEncoder": ("bytes", "fPort", "warnings", "errors"),
}


@dataclass(frozen=True)
class Example:
    codec: Path  # the *-codec.yaml
    routine: str
    script: Path
    number: int
    description: str
    input: dict[str, Any]
    output: dict[str, Any]
    normalized: dict[str, Any] | None = None  # `normalizedOutput`, for uplinks

    @property
    def id(self) -> str:
        return f"{self.codec.parent.name}/{self.codec.name}:{self.routine}:{self.number}"


def examples(root: Path) -> Iterator[Example]:
    for codec in sorted(root.rglob("*-codec.yaml")):
        document = js_yaml.load(codec.read_text(encoding="utf-8")) or {}
        for routine in ROUTINES:
            section = document.get(routine) or {}
            if "fileName" not in section:
                continue
            for number, example in enumerate(section.get("examples") or [], start=1):
                if "input" not in example or "output" not in example:
                    continue
                yield Example(
                    codec,
                    routine,
                    codec.parent / section["fileName"],
                    number,
                    str(example.get("description", "")),
                    example["input"],
                    example["output"] or {},
                    example.get("normalizedOutput"),
                )


def run(example: Example) -> dict[str, Any]:
    """What TTS gives for the example's input, in the example's own terms."""
    script = example.script.read_text(encoding="utf-8")
    given = example.input
    f_port = int(given.get("fPort", 1))
    try:
        if example.routine == "downlinkEncoder":
            answer = trial.run(script, encode=given.get("data") or {}, f_port=0)["downlink"]
            result: dict[str, Any] = {
                "bytes": list(base64.b64decode(answer.get("frm_payload", ""))),
                "fPort": answer["f_port"],
            }
            if answer.get("decoded_payload_warnings"):
                result["warnings"] = answer["decoded_payload_warnings"]
            return result
        payload = bytes(given.get("bytes") or [])
        if example.routine == "uplinkDecoder":
            recv = given.get("recvTime")
            when = _instant(recv) if recv else None
            answer = trial.run(script, uplink=payload, f_port=f_port, recv_time=when)["uplink"]
        else:
            answer = trial.run(script, downlink=payload, f_port=f_port)["downlink"]
        result = {"data": answer.get("decoded_payload")}
        if answer.get("decoded_payload_warnings"):
            result["warnings"] = answer["decoded_payload_warnings"]
        if example.normalized is not None:
            result["normalized"] = answer.get("normalized_payload", [])
        return result
    except TTSError as error:
        return {"error": error.definition.name, "attributes": error.attributes}


def _instant(value: Any) -> datetime:
    """`recvTime` as js-yaml gives it: a timestamp (a time without a zone is UTC) or text."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def expected(example: Example) -> dict[str, Any]:
    """The example's output as TTS would present it: only the fields TTS reads, `errors`
    become TTS's `output_errors` (the texts joined by ", "), empty warnings are left out."""
    output = {k: v for k, v in example.output.items() if k in FIELDS[example.routine]}
    errors = output.pop("errors", None)
    if errors:
        return {"error": "output_errors", "attributes": {"errors": ", ".join(errors)}}
    if not output.get("warnings"):
        output.pop("warnings", None)
    if example.routine == "downlinkEncoder":
        output.setdefault("fPort", 1)
    if example.normalized is not None:
        measurements = example.normalized.get("data")
        if isinstance(measurements, dict):
            measurements = [measurements]
        output["normalized"] = measurements or []
    return output


def same(actual: Any, wanted: Any) -> bool:
    """JSON equality, numbers compared as doubles (a Struct's numbers are doubles)."""
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted
    if isinstance(wanted, int | float) and isinstance(actual, int | float):
        return float(actual) == float(wanted)
    if isinstance(wanted, dict) and isinstance(actual, dict):
        return wanted.keys() == actual.keys() and all(same(actual[k], wanted[k]) for k in wanted)
    if isinstance(wanted, list) and isinstance(actual, list):
        return len(wanted) == len(actual) and all(map(same, actual, wanted))
    return bool(actual == wanted)
