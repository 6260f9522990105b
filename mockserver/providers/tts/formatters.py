"""Downlink payload formatters: what turns `decoded_payload` into bytes on an FPort.

TTS runs the device's (or application's) JavaScript `encodeDownlink`. The simulator offers
the formatter the docs' example needs — `bytes`: `{"bytes": [1, 2, 3]}` becomes 01 02 03 on
the formatter's FPort, like `return {bytes: input.data.bytes, fPort: N}` — declared per
device in the world file. As TTS does for JavaScript encoders, the formatter's FPort
wins over the request's, and a result without FPort on a request without one goes on FPort 1.
A device with no formatter behaves as TTS's FORMATTER_NONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class EncodeError(ValueError):
    """The formatter rejected its input; TTS reports the formatter's errors to the caller."""


@dataclass(frozen=True)
class BytesFormatter:
    f_port: int | None = None

    kind = "bytes"

    def encode(self, decoded_payload: dict[str, Any], f_port: int) -> tuple[bytes, int]:
        values = decoded_payload.get("bytes")
        if not isinstance(values, list) or not all(
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255
            for value in values
        ):
            raise EncodeError("`bytes` must be a list of integers from 0 to 255")
        # The encoder's FPort wins whenever it gives one (javascript.go EncodeDownlink).
        return bytes(values), self.f_port or f_port or 1

    def decode(self, frm_payload: bytes) -> dict[str, Any]:
        return {"bytes": list(frm_payload)}


Formatter = BytesFormatter


def formatter_from(config: dict[str, Any] | None) -> Formatter | None:
    if not config:
        return None
    return BytesFormatter(f_port=config.get("f_port"))
