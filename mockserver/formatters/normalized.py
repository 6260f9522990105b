"""TTS's normalized payload: measurements of known fields, checked against their ranges.

pkg/messageprocessors/normalizedpayload: a measurement is an object of known fields, those
of the Device Repository's payload schema (lib/payload.json of
TheThingsNetwork/lorawan-devices, which TTS's parser follows): `time`, `battery`,
`soil.*`, `air.*`, `wind.*`, `water.*`, `metering.water.total`, `action.*`, `position.*`.
An unknown field or a value of the wrong type fails the whole
parse; a value out of range is dropped and reported as a warning
(`measurement 1: \\`air.temperature\\` should be equal or greater than \\`-273.15\\``); a
measurement with no valid field is left out.

TTS walks a Go map, in no fixed order; the simulator walks fields in the order the script
wrote them, so of two unknown fields it names the first.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from mockserver.formatters import go_export
from mockserver.formatters import tts_errors as errors

#: path → (kind, minimum, maximum, exclusive maximum), bounds as Go's %v prints them.
_FIELDS: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "time": ("time", None, None, None),
    "battery": ("number", "0", None, None),
    "soil": ("object", None, None, None),
    "soil.depth": ("number", "0", None, None),
    "soil.moisture": ("number", "0", "100", None),
    "soil.temperature": ("number", "-273.15", None, None),
    "soil.ec": ("number", "0", "621", None),
    "soil.pH": ("number", "0", "14", None),
    "soil.n": ("number", "0", "1e+06", None),
    "soil.p": ("number", "0", "1e+06", None),
    "soil.k": ("number", "0", "1e+06", None),
    "air": ("object", None, None, None),
    "air.location": ("string", None, None, None),
    "air.temperature": ("number", "-273.15", None, None),
    "air.relativeHumidity": ("number", "0", "100", None),
    "air.pressure": ("number", "900", "1100", None),
    "air.co2": ("number", "0", "1e+06", None),
    "air.lightIntensity": ("number", "0", None, None),
    "wind": ("object", None, None, None),
    "wind.speed": ("number", "0", None, None),
    "wind.direction": ("number", "0", None, "360"),
    "water": ("object", None, None, None),
    "water.leak": ("boolean or string", None, None, None),
    "water.temperature": ("object", None, None, None),
    "water.temperature.min": ("number", "-273.15", None, None),
    "water.temperature.max": ("number", "-273.15", None, None),
    "water.temperature.avg": ("number", "-273.15", None, None),
    "water.temperature.current": ("number", "-273.15", None, None),
    "metering": ("object", None, None, None),
    "metering.water": ("object", None, None, None),
    "metering.water.total": ("number", None, None, None),
    "action": ("object", None, None, None),
    "action.motion": ("object", None, None, None),
    "action.motion.detected": ("boolean", None, None, None),
    "action.motion.count": ("number", None, None, None),
    "action.contactState": ("string", None, None, None),
    "position": ("object", None, None, None),
    "position.latitude": ("number", None, None, None),
    "position.longitude": ("number", None, None, None),
}


class ParseError(ValueError):
    """The measurements do not parse (TTS: a non-DataLoss error of normalizedpayload)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def parse_strictly(node: list[Any]) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """`normalizeUplink`'s `data` (one measurement or an array of them): the valid parts and
    the warnings; None when the data is null. What TTS refuses is its `output` error."""
    kind = node[0]
    if kind in ("u", "n"):
        return None, []
    items = node[1] if kind == "a" else [node]
    measurements = []
    for item in items:
        if item[0] != "o":
            raise errors.OUTPUT()
        try:
            measurements.append(go_export.string_map(item, "data") or {})
        except go_export.ExportError:
            raise errors.OUTPUT() from None
    try:
        return _parse(measurements)
    except ParseError:
        raise errors.OUTPUT() from None


def parse_loosely(decoded: dict[str, Any] | None) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """Decoded data without a normalizer: taken as normalized payload when it parses as one
    (TTS's best effort), else no normalized payload at all."""
    try:
        return _parse([decoded or {}])
    except ParseError:
        return None, []


def _parse(measurements: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    valid: list[dict[str, Any]] = []
    warnings: list[str] = []
    for number, measurement in enumerate(measurements, 1):
        problems: list[str] = []
        fields = _fields(measurement, "", problems)
        warnings.extend(f"measurement {number}: {problem}" for problem in problems)
        if fields:
            valid.append(fields)
    return valid, warnings


def _fields(source: dict[str, Any], prefix: str, problems: list[str]) -> dict[str, Any]:
    valid: dict[str, Any] = {}
    for key, value in source.items():
        path = prefix + key
        spec = _FIELDS.get(path)
        if spec is None:
            raise ParseError(errors.UNKNOWN_FIELD(path=path))
        kind, minimum, maximum, below = spec
        if kind == "object":
            if not isinstance(value, dict):
                raise ParseError(errors.FIELD_TYPE(path=path))
            nested = _fields(value, path + ".", problems)
            if nested:
                valid[key] = nested
        elif kind in ("boolean", "string", "boolean or string"):
            if not (
                (isinstance(value, bool) and "boolean" in kind)
                or (isinstance(value, str) and "string" in kind)
            ):
                raise ParseError(errors.FIELD_TYPE(path=path))
            valid[key] = value
        elif kind == "time":
            if not isinstance(value, str):
                raise ParseError(errors.FIELD_TYPE(path=path))
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as error:
                raise ParseError(error) from None
            valid[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ParseError(errors.FIELD_TYPE(path=path))
            # NaN and the infinities come as their names
            if isinstance(value, str) and value not in ("NaN", "Infinity", "-Infinity"):
                raise ParseError(errors.FIELD_TYPE(path=path))
            number = float(value)
            out_of_range = _range_problems(path, number, minimum, maximum, below)
            if out_of_range:
                problems.extend(out_of_range)
            else:
                valid[key] = value
    return valid


def _range_problems(
    path: str, number: float, minimum: str | None, maximum: str | None, below: str | None
) -> list[str]:
    found = []
    if minimum is not None and number < float(minimum):
        found.append(errors.FIELD_MINIMUM(path=path, minimum=minimum).formatted)
    if maximum is not None and number > float(maximum):
        found.append(errors.FIELD_MAXIMUM(path=path, maximum=maximum).formatted)
    if below is not None and number >= float(below):
        found.append(errors.FIELD_EXCLUSIVE_MAXIMUM(path=path, maximum=below).formatted)
    if math.isnan(number):
        return []  # every comparison with NaN is false in Go too
    return found
