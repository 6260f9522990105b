"""`serve`'s log: its options, and the handler that writes the `mockserver` loggers out.

Only `serve` installs a handler: the pytest fixture and in-process use stay silent unless
the application configures logging itself.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import TextIO

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
    return handler


def uninstall(handler: logging.Handler) -> None:
    """Undo `install` (for tests that install it in-process)."""
    logger = logging.getLogger(ROOT)
    logger.removeHandler(handler)
    if any(isinstance(each, _Handler) for each in logger.handlers):
        logger.setLevel(_lowest(logger))
    else:
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, among the handlers others (pytest's log capture) may attach to the logger."""


def _lowest(logger: logging.Logger) -> int:
    """The logger lets through what the most talkative of our handlers shows."""
    return min(each.level for each in logger.handlers if isinstance(each, _Handler))
