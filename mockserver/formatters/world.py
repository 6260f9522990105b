"""Formatter scripts in a world file: inline, or a file named relative to the world file.

    tts:
      applications:
        - id: app1
          default_formatters: {up_formatter: FORMATTER_CAYENNELPP}
          devices:
            - id: dev1
              formatters:
                down_formatter: FORMATTER_JAVASCRIPT
                down_formatter_parameter_file: codecs/dev1.js   # or down_formatter_parameter: |
    ttnv2:
      applications:
        - id: my-app-id
          payload_functions: {encoder_file: encoder.js, decoder: "function Decoder(b, p) {…}"}

`resolve_files` reads every `<key>_file` into `<key>` (and keeps the file's name as
`<key>_origin`, for messages) before the world is checked, so a resolved description reads
the same again; `script_problems` then refuses a script that does not parse, with the
engine's message and line:column.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mockserver.formatters import engine
from mockserver.formatters.kinds import KINDS
from mockserver.safe_load import LimitExceeded, read_file

TTS_SCRIPT_KEYS = ("down_formatter_parameter", "up_formatter_parameter")
TTNV2_SCRIPT_KEYS = ("encoder", "decoder", "converter", "validator")

TTS_FORMATTERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "down_formatter": {"enum": list(KINDS)},
        "up_formatter": {"enum": list(KINDS)},
        **{key: {"type": "string"} for key in TTS_SCRIPT_KEYS},
        **{f"{key}_file": {"type": "string"} for key in TTS_SCRIPT_KEYS},
        **{f"{key}_origin": {"type": "string"} for key in TTS_SCRIPT_KEYS},
    },
}
TTNV2_FUNCTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{key: {"type": "string"} for key in TTNV2_SCRIPT_KEYS},
        **{f"{key}_file": {"type": "string"} for key in TTNV2_SCRIPT_KEYS},
        **{f"{key}_origin": {"type": "string"} for key in TTNV2_SCRIPT_KEYS},
    },
}


class ScriptFileError(ValueError):
    """A script file cannot be read, or a script is given both inline and as a file."""


def resolve_files(description: dict[str, Any], base: Path) -> dict[str, Any]:
    """The description with each `<key>_file` (relative to `base`) read into `<key>`; the
    caller's description is left as it was (a copy is made only when there are files)."""
    if not isinstance(description, dict) or not any(
        f"{key}_file" in section
        for _, section, keys in _script_sections(description)
        for key in keys
    ):
        return description
    description = copy.deepcopy(description)
    for where, section, keys in _script_sections(description):
        for key in keys:
            name = section.get(f"{key}_file")
            if not isinstance(name, str):
                continue
            if key in section:
                raise ScriptFileError(f"at {where}: give {key} or {key}_file, not both")
            path = base / name
            try:
                section[key] = read_file(path, str(path))  # no further than the size limit
            except LimitExceeded as error:
                raise ScriptFileError(f"at {where}/{key}_file: {error}") from None
            except (OSError, UnicodeDecodeError) as error:
                raise ScriptFileError(
                    f"at {where}/{key}_file: cannot read {path}: {error}"
                ) from None
            del section[f"{key}_file"]
            section[f"{key}_origin"] = name
    return description


def script_problems(description: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Where each script that does not parse is, and the engine's message."""
    problems = []
    for where, section, keys in _script_sections(description):
        for key in keys:
            script = section.get(key)
            if not isinstance(script, str) or not _is_javascript(section, key):
                continue
            try:
                engine.check(script, section.get(f"{key}_origin") or key)
            except engine.CompileError as error:
                problems.append((f"{where}/{key}", str(error)))
    return problems


def _is_javascript(section: Mapping[str, Any], key: str) -> bool:
    if key in TTNV2_SCRIPT_KEYS:
        return True
    direction = key.split("_", 1)[0]
    return section.get(f"{direction}_formatter") == "FORMATTER_JAVASCRIPT"


def _script_sections(description: Any) -> Iterator[tuple[str, Any, tuple[str, ...]]]:
    if not isinstance(description, dict):
        return
    tts = _dict(description.get("tts"))
    for a, application in enumerate(_list(tts.get("applications"))):
        defaults = application.get("default_formatters") if isinstance(application, dict) else None
        if isinstance(defaults, dict):
            yield f"tts/applications/{a}/default_formatters", defaults, TTS_SCRIPT_KEYS
        devices = application.get("devices") if isinstance(application, dict) else None
        for d, device in enumerate(_list(devices)):
            formatters = device.get("formatters") if isinstance(device, dict) else None
            if isinstance(formatters, dict):
                where = f"tts/applications/{a}/devices/{d}/formatters"
                yield where, formatters, TTS_SCRIPT_KEYS
    ttnv2 = _dict(description.get("ttnv2"))
    for a, application in enumerate(_list(ttnv2.get("applications"))):
        functions = application.get("payload_functions") if isinstance(application, dict) else None
        if isinstance(functions, dict):
            yield f"ttnv2/applications/{a}/payload_functions", functions, TTNV2_SCRIPT_KEYS


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
