"""Two ways to write the log: a line for a person (coloured on a terminal), JSON for machines.

Both take the events of events.py, and any other record of the `mockserver` loggers (a
handler's traceback, a scenario timeline that failed), so that `serve` has one output.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from mockserver.request_log.events import Event, SecondsCache, Style, iso

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_LEVEL_COLOURS = {logging.WARNING: "33", logging.ERROR: "31", logging.CRITICAL: "31"}


class TextFormatter(logging.Formatter):
    """`HH:MM:SS.mmm [sim <simulated time>] <event>` in local wall time."""

    def __init__(self, colour: bool = False) -> None:
        super().__init__()
        self.style = Style(colour)
        self.wall = SecondsCache("%H:%M:%S", time.localtime)

    def format(self, record: logging.LogRecord) -> str:
        event = record.msg
        if isinstance(event, Event):
            return self.format_event(event, record.created)
        style = self.style
        head = style.paint(f"{self.wall(int(record.created))}.{int(record.msecs):03d}", "2")
        level = style.paint(record.levelname, _LEVEL_COLOURS.get(record.levelno, "0"))
        line = f"{head} {level} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line

    def format_event(self, event: Event, created: float) -> str:
        """One event's line, `created` its wall time (`time.time()`, as a record has it):
        what `format` says of an event's record, without the record (console's direct
        path)."""
        style = self.style
        second = int(created)
        head = style.paint(f"{self.wall(second)}.{int((created - second) * 1000):03d}", "2")
        if event.sim is not None:
            head += " " + style.paint(f"sim {iso(event.sim)}", "2")
        return f"{head} {event.text(style)}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time` (UTC wall time), `sim_time` when the simulator's
    clock differs, `level`, `event` (request, admin, scenario, outbound or log) and the
    event's own fields."""

    def __init__(self) -> None:
        super().__init__()
        self.wall = SecondsCache("%Y-%m-%dT%H:%M:%S", time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        event = record.msg
        if isinstance(event, Event):
            return self.format_event(event, record.created)
        line: dict[str, Any] = {
            "time": iso(int(record.created * 1_000_000), self.wall),
            "level": record.levelname.lower(),
            "event": "log",
        }
        line["logger"] = record.name
        line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encode(line)

    def format_event(self, event: Event, created: float) -> str:
        """One event's line, `created` its wall time: `format` without the record."""
        line: dict[str, Any] = {
            "time": iso(int(created * 1_000_000), self.wall),
            "level": logging.getLevelName(event.level).lower(),
        }
        if event.sim is not None:
            line["sim_time"] = iso(event.sim)
        line["event"] = event.kind
        line.update(event.fields())
        return _encode(line)


def json_line(event: str, fields: dict[str, Any]) -> str:
    """One line in the JSON log's shape (`time`, `level`, `event`, then `fields`) for what
    `serve` prints outside the loggers: its banner and its `ready` line."""
    line: dict[str, Any] = {
        "time": iso(int(time.time() * 1_000_000)),
        "level": "info",
        "event": event,
    }
    line.update(fields)
    return _encode(line)
