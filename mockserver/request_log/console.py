"""`serve`'s log: its options, and the handler that writes the `mockserver` loggers out.

Only `serve` installs a handler: the pytest fixture and in-process use stay silent unless
the application configures logging itself.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from mockserver.request_log import hooks
from mockserver.request_log.events import Event
from mockserver.request_log.formatting import JsonFormatter, TextFormatter

FORMATS = ("text", "json")
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "off": logging.CRITICAL + 1,
}
ROOT = "mockserver"
#: The most time a line written on the direct path waits in the stream's buffer.
FLUSH_SECONDS = 0.05


def _one_of(choices: tuple[str, ...] | list[str]) -> Callable[[str], str]:
    """A value among `choices`, checked for the environment's defaults too (argparse checks
    `choices` for values given on the command line only)."""

    def check(value: str) -> str:
        if value.lower() not in choices:
            raise argparse.ArgumentTypeError(
                f"invalid choice: {value!r} (choose from {', '.join(choices)})"
            )
        return value.lower()

    return check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--log-format`, `--log-level` and `-q` for `serve`."""
    parser.add_argument(
        "--log-format",
        type=_one_of(FORMATS),
        choices=FORMATS,
        default=os.environ.get("MOCKSERVER_LOG_FORMAT", "text"),
        help="the request log as text lines, or JSON lines for a log collector "
        "(default text, or $MOCKSERVER_LOG_FORMAT)",
    )
    parser.add_argument(
        "--log-level",
        type=_one_of(list(LEVELS)),
        choices=list(LEVELS),
        default=os.environ.get("MOCKSERVER_LOG_LEVEL", "info"),
        help="info: every API call, scenario act and outbound message; debug adds the "
        "admin API (/_mock); warning: only calls that broke their description and "
        "messages not delivered; off: nothing (default info, or $MOCKSERVER_LOG_LEVEL)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_const",
        dest="log_level",
        const="warning",
        help="same as --log-level warning",
    )


def wants_colour(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def install(
    log_format: str = "text",
    level: str = "info",
    stream: TextIO | None = None,
    colour: bool | None = None,
) -> logging.Handler:
    """Write every `mockserver` logger to `stream` (standard output): the request log, and
    the simulator's own warnings and tracebacks, in one format. The lines do not also go to
    the root logger, so nothing configured there prints them twice."""
    stream = stream if stream is not None else sys.stdout
    handler = _Handler(stream)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(wants_colour(stream) if colour is None else colour))
    handler.setLevel(LEVELS[level])
    logger = logging.getLogger(ROOT)
    logger.addHandler(handler)
    logger.setLevel(_lowest(logger))
    logger.propagate = False
    hooks.direct = handler
    return handler


def uninstall(handler: logging.Handler) -> None:
    """Undo `install` (for tests that install it in-process)."""
    logger = logging.getLogger(ROOT)
    logger.removeHandler(handler)
    if hooks.direct is handler:
        hooks.direct = None
    if isinstance(handler, _Handler):
        handler.stop()
    if any(isinstance(each, _Handler) for each in logger.handlers):
        logger.setLevel(_lowest(logger))
    else:
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


class _Handler(logging.StreamHandler, hooks.DirectHandler):  # type: ignore[type-arg]
    """Ours, among the handlers others (pytest's log capture) may attach to the logger.

    An API call's line can also come the direct way (`write_event`, used by
    `hooks.log_exchange` while this is the only handler the line would reach): formatted
    without a `LogRecord` and written without a flush. A thread of its own flushes the
    stream `FLUSH_SECONDS` after the first line that is not yet out, so a busy server makes
    one write per batch of lines instead of one per call (issue 21: the line cost 28 µs of
    CPU, most of it the record and the write). Any record that comes the usual way (a
    warning, a traceback) is written and flushed as before, with the lines before it: one
    stream, one order. The stream is flushed at exit (`logging.shutdown`) and on
    `uninstall`."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._unflushed = threading.Event()
        self._flusher: threading.Thread | None = None
        self._stopped = False

    def write_event(self, event: Event) -> None:
        try:
            formatter = self.formatter
            assert isinstance(formatter, TextFormatter | JsonFormatter)
            line = formatter.format_event(event, time.time())
            with self.lock:  # type: ignore[union-attr]  # made by Handler.__init__
                self.stream.write(line + self.terminator)
        except RecursionError:
            raise
        except Exception:
            self.handleError(logging.makeLogRecord({"msg": event, "levelno": event.level}))
            return
        if not self._unflushed.is_set():
            self._unflushed.set()
            if self._flusher is None:
                self._start_flusher()

    def _start_flusher(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._flusher is None and not self._stopped:
                self._flusher = threading.Thread(
                    target=self._flush_soon, daemon=True, name="mockserver-log"
                )
                self._flusher.start()

    def _flush_soon(self) -> None:
        while True:
            self._unflushed.wait()
            if self._stopped:
                return
            time.sleep(FLUSH_SECONDS)
            self._unflushed.clear()
            try:
                self.flush()
            except (OSError, ValueError):  # its stream was closed under it (a test's, at exit)
                return

    def close(self) -> None:
        """Flush, and stay usable: `logging.config.dictConfig` (uvicorn's, as it starts)
        closes every handler there is, and serve's goes on writing after it."""
        with contextlib.suppress(OSError, ValueError):  # a stream closed before its handler
            self.flush()
        super().close()

    def stop(self) -> None:
        """No more lines from here (`uninstall`): the flusher ends, the stream is flushed."""
        self._stopped = True
        self._unflushed.set()  # the flusher wakes, and ends
        self.close()


def _lowest(logger: logging.Logger) -> int:
    """The logger lets through what the most talkative of our handlers shows."""
    return min(each.level for each in logger.handlers if isinstance(each, _Handler))
