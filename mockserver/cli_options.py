"""What the `mockserver` command accepts, refused in one line before anything starts.

A value out of range must never reach uvicorn or the clock: uvicorn takes port 70000 as
4464 without a word, and a speed of NaN or infinity breaks the clock's arithmetic only once
the server runs. Each refusal is one line on standard error and exit status 2, as argparse
uses for usage errors (its usage block is left out: it drowns the one line that matters).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit

from mockserver.connections import MAX_CONNECTIONS, ServingLimits
from mockserver.server import DEFAULT_HOST, DEFAULT_PORT

USAGE_ERROR = 2
#: Simulated time from a thousandth of the wall clock's pace to a million times faster (a
#: simulated day in 0.09 s). Beyond that the clock's arithmetic breaks, not the test: a
#: sleep of 1e300 seconds, or dates past the year 9999 within minutes.
MIN_SPEED, MAX_SPEED = 0.001, 1_000_000.0
T = TypeVar("T")


class UsageError(Exception):
    """A value the command cannot run with, from an option or the environment."""


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line: `mockserver serve: argument --port: …`."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {message}; see {self.prog} --help\n")


def port(text: str) -> int:
    """0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return value


def speed(text: str) -> float:
    value = _number(text)
    if not MIN_SPEED <= value <= MAX_SPEED:  # NaN fails it too
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a speed (a number from {MIN_SPEED:g} to {MAX_SPEED:.0f})"
        )
    return value


def seconds(text: str) -> float:
    value = _number(text)
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def percent(text: str) -> float:
    """A coverage threshold: 0 to 100. NaN would make every coverage pass the gate."""
    value = _number(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage (0 to 100)")
    return value


def base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a server's base URL (such as http://127.0.0.1:8080)"
        )
    return text


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def environment_port() -> int:
    """`$MOCKSERVER_PORT`, or 8080."""
    text = os.environ.get("MOCKSERVER_PORT")
    return DEFAULT_PORT if text is None else _from_environment("MOCKSERVER_PORT", port, text)


def environment_url() -> str:
    """The server `serve` starts with the same environment: `$MOCKSERVER_URL`, else
    `$MOCKSERVER_HOST` (a wildcard address read as loopback) and `$MOCKSERVER_PORT`."""
    url = os.environ.get("MOCKSERVER_URL")
    if url is not None:
        return _from_environment("MOCKSERVER_URL", base_url, url)
    host = os.environ.get("MOCKSERVER_HOST", DEFAULT_HOST)
    host = DEFAULT_HOST if host in ("", "0.0.0.0", "::") else host
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{environment_port()}"


def url_help() -> str:
    """The `--url` help, with the default as this environment makes it (never failing)."""
    try:
        now = environment_url()
    except UsageError as error:
        now = str(error)
    return (
        "the server's base URL (default: $MOCKSERVER_URL, else http://$MOCKSERVER_HOST:"
        f"$MOCKSERVER_PORT as `serve` uses them; here: {now})"
    )


def _from_environment(name: str, check: Callable[[str], T], text: str) -> T:
    try:
        return check(text)
    except argparse.ArgumentTypeError as error:
        raise UsageError(f"${name}: {error}") from None


def refuse(message: str) -> int:
    print(f"mockserver: {message}", file=sys.stderr)
    return USAGE_ERROR


# -- serving bounds (docs/reliability.md, "Connections and shutdown") ------------------------
def add_serving_arguments(parser: argparse.ArgumentParser) -> None:
    """`serve`'s options for what a connection may cost and how a shutdown waits."""
    default = ServingLimits()
    group = parser.add_argument_group("connections and shutdown")
    group.add_argument(
        "--graceful-timeout",
        type=whole_seconds,
        default=default.graceful_timeout,
        metavar="SECONDS",
        help="on SIGTERM or SIGINT, how long requests in flight may take to finish "
        f"(default {default.graceful_timeout})",
    )
    group.add_argument(
        "--request-timeout",
        type=positive_seconds,
        default=default.request_timeout,
        metavar="SECONDS",
        help="close a connection whose request is not complete this long after its first "
        f"byte (default {default.request_timeout:g})",
    )
    group.add_argument(
        "--max-header-bytes",
        type=positive_int,
        default=default.max_header_bytes,
        metavar="BYTES",
        help="answer 431 to a request whose line and headers are larger "
        f"(default {default.max_header_bytes})",
    )
    group.add_argument(
        "--max-connections",
        type=positive_int,
        metavar="N",
        help=f"answer 503 on a connection beyond N open ones (default {MAX_CONNECTIONS}, "
        "or fewer when the process may not open that many files)",
    )


def serving_limits(args: argparse.Namespace) -> ServingLimits:
    return ServingLimits(
        max_header_bytes=args.max_header_bytes,
        request_timeout=args.request_timeout,
        max_connections=args.max_connections,
        graceful_timeout=args.graceful_timeout,
    )


def whole_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds (0 or more)")
    return value


def positive_seconds(text: str) -> float:
    value = _number(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (above 0)")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return value
