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
from typing import NoReturn, TypedDict, TypeVar
from urllib.parse import urlsplit

from mockserver.delivery import DEFAULT_CONCURRENCY, DEFAULT_QUEUE_CAPACITY
from mockserver.outbound import OutboundTargets
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


# -- outbound delivery (docs/reliability.md, "Outbound delivery") -----------------------------
def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def outbound_target(text: str) -> str:
    """A CIDR, an address or a host name (`--outbound-allow`)."""
    try:
        OutboundTargets([text])
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_delivery_options(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("outbound delivery (webhooks, integrations, reports)")
    group.add_argument(
        "--delivery-queue",
        metavar="N",
        type=at_least_one,
        default=DEFAULT_QUEUE_CAPACITY,
        help="messages waiting per destination; when full the oldest is dropped and "
        f"recorded as dropped (default {DEFAULT_QUEUE_CAPACITY})",
    )
    group.add_argument(
        "--delivery-concurrency",
        metavar="N",
        type=at_least_one,
        default=DEFAULT_CONCURRENCY,
        help=f"messages sent at a time per destination (default {DEFAULT_CONCURRENCY})",
    )
    group.add_argument(
        "--outbound-allow",
        metavar="CIDR|HOST",
        action="append",
        type=outbound_target,
        default=[],
        help="also let messages go to this network, address or host name, which link-local "
        "and cloud-metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are not "
        "by default (repeatable)",
    )


class DeliveryOptions(TypedDict):
    delivery_queue: int
    delivery_concurrency: int
    outbound_allow: tuple[str, ...]


def delivery_kwargs(args: argparse.Namespace) -> DeliveryOptions:
    """The MockServer keyword arguments of the options above."""
    return {
        "delivery_queue": args.delivery_queue,
        "delivery_concurrency": args.delivery_concurrency,
        "outbound_allow": tuple(args.outbound_allow),
    }
