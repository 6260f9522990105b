"""What the admin routes accept, checked before anything changes.

Every refusal is an `AdminError` (400) that names the field and what it must be: a caller
who misspells `seconds` or sends no body learns it at once, instead of a 200 that did
nothing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection
from typing import Any

from starlette.requests import Request

from mockserver import json_strict
from mockserver.admin.errors import AdminError
from mockserver.clock import VirtualClock, to_datetime
from mockserver.core import DeviceClass, Session
from mockserver.lorawan.regions import band
from mockserver.safe_load import load_json
from mockserver.types import seconds

#: The longest single clock advance: a virtual-time test has no use for more, and a value
#: such as 1e300 would move the clock past what a timestamp can show.
MAX_ADVANCE_SECONDS = 100 * 365.25 * 86_400  # 100 years
RX1_DELAYS = range(1, 16)  # LoRaWAN's RxTimingSetupReq: 1..15 s
DEVICE_ATTRIBUTES = ("band", "class", "rx1_delay", "session")
UPLINK_FIELDS = ("ack", "confirmed", "data_rate", "f_port", "frequency", "frm_payload")
_DEV_ADDR = re.compile("[0-9A-Fa-f]{8}")


async def read_object(request: Request, *, missing: str | None = None) -> dict[str, Any]:
    """The JSON object a request carries. `missing`: the 400's message when there is no
    body at all (None: no body reads as `{}`, for routes where every field is optional).

    The body is read within the admin body limit (413 past it: `mockserver.admin.limits`)
    and parsed as Python's json module does, nested no deeper than json_strict allows."""
    raw = await request.body()
    if not raw.strip():
        if missing is not None:
            raise AdminError(400, missing)
        return {}
    try:
        document = load_json(raw)  # Infinity parses: each route refuses it by name
    except json_strict.TooDeepError as error:
        raise AdminError(
            413,
            f"the body nests deeper than {json_strict.MAX_DEPTH} levels (at character "
            f"{error.pos}), the limit on a JSON document",
        ) from None
    except (ValueError, RecursionError):
        raise AdminError(400, "the body is not JSON") from None
    if not isinstance(document, dict):
        raise AdminError(400, "the body must be a JSON object")
    return document


def only_known(document: dict[str, Any], known: Collection[str], what: str) -> None:
    """A name the route does not know is refused: ignoring it would hide a typo."""
    unknown = sorted(set(document) - set(known))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise AdminError(400, f"unknown field {names} ({what} takes {', '.join(known)})")


def advance_seconds(clock: VirtualClock, document: dict[str, Any]) -> float:
    """The `seconds` of a clock advance. Refused before the clock moves: a failure after it
    would leave every later call (which writes the time) failing too."""
    only_known(document, ("seconds",), "a clock advance")
    if "seconds" not in document:
        raise AdminError(400, 'seconds is required: {"seconds": N}')
    by = document["seconds"]
    if (
        isinstance(by, bool)
        or not isinstance(by, int | float)
        or not 0 <= by <= MAX_ADVANCE_SECONDS  # NaN and ±inf fail it too
    ):
        raise AdminError(
            400, f"seconds must be a number from 0 to {MAX_ADVANCE_SECONDS:.0f} (100 years)"
        )
    try:
        to_datetime(clock.now_us() + seconds(by))
    except (OverflowError, ValueError):
        raise AdminError(400, "the clock cannot go past the year 9999") from None
    return by


def device_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The device attributes a PATCH sets, each checked, so that a refused PATCH changes
    nothing and an accepted one cannot break a later uplink."""
    only_known(changes, DEVICE_ATTRIBUTES, "a PATCH")
    attributes: dict[str, Any] = {}
    if "class" in changes:
        value = changes["class"]
        if value not in tuple(DeviceClass):
            classes = ", ".join(DeviceClass)
            raise AdminError(400, f"invalid change: class must be one of {classes}")
        attributes["device_class"] = DeviceClass(value)
    if "band" in changes:
        name = changes["band"]
        if not isinstance(name, str):
            raise AdminError(400, "invalid change: band must be a string")
        try:
            band(name)
        except ValueError as error:  # it names the known bands
            raise AdminError(400, f"invalid change: {error}") from None
        attributes["band"] = name
    if "rx1_delay" in changes:
        delay = changes["rx1_delay"]
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay not in RX1_DELAYS:
            raise AdminError(
                400, "invalid change: rx1_delay must be a whole number of seconds from 1 to 15"
            )
        attributes["rx1_delay"] = seconds(delay)
    if "session" in changes:
        session = changes["session"]
        attributes["session"] = None if session is None else Session(dev_addr=_dev_addr(session))
    return attributes


def _dev_addr(session: Any) -> int:
    """`dev_addr` as the world files write it: eight hex digits."""
    if not isinstance(session, dict):
        raise AdminError(400, "invalid change: session must be an object or null")
    only_known(session, ("dev_addr",), "session")
    text = session.get("dev_addr")
    if not isinstance(text, str) or _DEV_ADDR.fullmatch(text) is None:
        raise AdminError(400, "invalid change: session.dev_addr must be 8 hex digits")
    return int(text, 16)


def uplink_arguments(spec: dict[str, Any]) -> dict[str, Any]:
    """`MockServer.uplink`'s keyword arguments from an admin body, each of its JSON type
    (the radio checks, such as a data rate the band lacks, are the uplink's own)."""
    only_known(spec, UPLINK_FIELDS, "an uplink")
    for name in ("f_port", "data_rate", "frequency"):
        value = spec.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise AdminError(400, f"invalid uplink: {name} must be an integer")
    for name in ("confirmed", "ack"):
        if not isinstance(spec.get(name, False), bool):
            raise AdminError(400, f"invalid uplink: {name} must be true or false")
    payload = spec.get("frm_payload", "")
    if not isinstance(payload, str):
        raise AdminError(400, "invalid uplink: frm_payload must be base64 text")
    try:
        frm_payload = base64.b64decode(payload, validate=True)
    except binascii.Error as error:
        raise AdminError(400, f"invalid uplink: frm_payload is not base64 ({error})") from None
    return {
        "f_port": spec.get("f_port"),
        "frm_payload": frm_payload,
        "confirmed": spec.get("confirmed", False),
        "ack": spec.get("ack", False),
        "data_rate": spec.get("data_rate"),
        "frequency": spec.get("frequency"),
    }


def journal_limit(text: str | None) -> int | None:
    """`?limit=N`: the last N entries. Anything but a whole number is refused, not ignored."""
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()):
        raise AdminError(400, "limit must be a whole number (the last N entries)")
    return int(text)


def since_reset(request: Request) -> bool:
    """`?since=reset`: only the findings since the last reset (the current test's), not the
    whole run's; any other `since` is refused rather than read as the whole run."""
    since = request.query_params.get("since")
    if since is None:
        return False
    if since != "reset":
        raise AdminError(400, f"since must be `reset`, not {since[:40]!r}")
    return True
