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
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypedDict, TypeVar
from urllib.parse import urlsplit

from mockserver.defaults import (
    ALLOW_HOSTS_ENV,
    DEFAULT_BODY_LIMIT,
    DEFAULT_BYTE_BUDGET,
    DEFAULT_CONCURRENCY,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_QUEUE_CAPACITY,
    DOCUMENT_MAX_BYTES,
    DOCUMENT_MAX_DEPTH,
    DOCUMENT_MAX_NODES,
    GRACEFUL_TIMEOUT,
    IDLE_SECONDS,
    MAX_CONNECTIONS,
    MAX_HEADER_BYTES,
    MAX_TENANTS,
    MIB,
    REQUEST_TIMEOUT,
    TOKEN_ENV,
    TOKEN_HEADER,
    size_text,
)

if TYPE_CHECKING:  # built only once the command runs: --version and --help import no server
    from mockserver.connections import ServingLimits
    from mockserver.safe_load import DocumentLimits

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


# -- document limits: world and scenario files, admin bodies (docs/reliability.md) -----------
_SIZE = re.compile(r"\s*(\d+)\s*(?:([KMG])(?:iB?|B)?|B)?\s*", re.IGNORECASE)
_SIZE_UNITS = {None: 1, "K": 1024, "M": MIB, "G": 1024 * MIB}


def size(text: str) -> int:
    """A byte count: 1048576, 512KiB, 16MiB, 16M (binary units; at least one byte)."""
    match = _SIZE.fullmatch(text)
    unit = match[2].upper() if match and match[2] else None
    value = int(match[1]) * _SIZE_UNITS[unit] if match else 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size (a whole number of bytes, or with KiB, MiB or GiB)"
        )
    return value


def add_journal_arguments(parser: argparse.ArgumentParser) -> None:
    """`--journal-bytes` and `--journal-body-bytes` (their environment variables too)."""
    parser.add_argument(
        "--journal-bytes",
        type=size,
        default=None,
        metavar="SIZE",
        help="what the request journal may hold before it evicts its oldest exchanges "
        f"(default {DEFAULT_BYTE_BUDGET // 1024**2}MiB, or $MOCKSERVER_JOURNAL_BYTES)",
    )
    parser.add_argument(
        "--journal-body-bytes",
        type=size,
        default=None,
        metavar="SIZE",
        help="a longer body is journalled truncated, with its length and sha256 "
        f"(default {DEFAULT_BODY_LIMIT // 1024}KiB, or $MOCKSERVER_JOURNAL_BODY_BYTES)",
    )


class JournalOptions(TypedDict, total=False):
    journal_bytes: int
    journal_body_bytes: int


def journal_options(args: argparse.Namespace) -> JournalOptions:
    """The MockServer keyword arguments the journal options (or the environment) set."""
    chosen = JournalOptions()
    budget = _journal_size(args, "journal_bytes", "MOCKSERVER_JOURNAL_BYTES")
    if budget is not None:
        chosen["journal_bytes"] = budget
    body = _journal_size(args, "journal_body_bytes", "MOCKSERVER_JOURNAL_BODY_BYTES")
    if body is not None:
        chosen["journal_body_bytes"] = body
    return chosen


def _journal_size(args: argparse.Namespace, option: str, variable: str) -> int | None:
    value: int | None = getattr(args, option, None)
    text = os.environ.get(variable)
    if value is None and text is not None:
        value = _from_environment(variable, size, text)
    return value


# -- who may come in: the admin token, Host names, tenants (docs/reliability.md) -----------
def add_access_options(serve: argparse.ArgumentParser) -> None:
    """`serve`'s options for the admin surface and tenants. The token is best given in
    `$MOCKSERVER_ADMIN_TOKEN`: a command line is visible to every user of the machine."""
    add_admin_token(serve)
    serve.add_argument(
        "--allow-host",
        metavar="NAME",
        type=host_name,
        action="append",
        default=[name for name in os.environ.get(ALLOW_HOSTS_ENV, "").split(",") if name],
        help="another name the admin API and dashboard answer to besides localhost, loopback "
        "addresses and the bound address, such as a CI service's name (repeatable; "
        f"${ALLOW_HOSTS_ENV}, comma-separated; * turns the Host check off)",
    )
    serve.add_argument(
        "--tenant-idle",
        metavar="SECONDS",
        type=seconds,
        default=IDLE_SECONDS,
        help=f"drop a tenant unused for this long, on the wall clock (default {IDLE_SECONDS:g}; "
        "0: never)",
    )
    serve.add_argument(
        "--max-tenants",
        metavar="N",
        type=count,
        default=MAX_TENANTS,
        help=f"tenants at once; one more gets 503 (default {MAX_TENANTS})",
    )


def add_admin_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-token",
        metavar="TOKEN",
        type=admin_token,
        default=os.environ.get(TOKEN_ENV) or None,
        help=f"the admin token: the admin API and dashboard (/_mock) need it in {TOKEN_HEADER}, "
        f"and so does creating a tenant (default ${TOKEN_ENV}; prefer the variable: a command "
        "line is visible to other users)",
    )


def admin_token(text: str) -> str:
    """A token that guards something: not empty, no spaces around it (a header's value
    loses them), no line break."""
    if not text or text != text.strip() or any(c in text for c in "\r\n"):
        raise argparse.ArgumentTypeError(
            "an admin token must be a non-empty string without surrounding spaces"
        )
    return text


def host_name(text: str) -> str:
    """A name or address as a Host header carries it (no port), or `*`."""
    if text != "*" and not re.fullmatch(r"[A-Za-z0-9._-]+|\[?[0-9A-Fa-f:.]+\]?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a host name or address")
    return text


def count(text: str) -> int:
    """A whole number of 1 or more."""
    value = int(text) if text.strip().isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def add_document_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """--max-document-size/-nodes/-depth: what a world or scenario file, and an admin body,
    may hold (a YAML alias counted at its full size)."""
    group = parser.add_argument_group("document limits (world and scenario files, admin bodies)")
    group.add_argument(
        "--max-document-size",
        type=size,
        default=DOCUMENT_MAX_BYTES,
        metavar="SIZE",
        help=f"largest file or admin body, and the most text a YAML document may expand to "
        f"(default {size_text(DOCUMENT_MAX_BYTES).replace(' ', '')}; 413 past it)",
    )
    group.add_argument(
        "--max-document-nodes",
        type=count,
        default=DOCUMENT_MAX_NODES,
        metavar="N",
        help=f"most values a document may hold, YAML aliases expanded "
        f"(default {DOCUMENT_MAX_NODES})",
    )
    group.add_argument(
        "--max-document-depth",
        type=count,
        default=DOCUMENT_MAX_DEPTH,
        metavar="N",
        help=f"deepest nesting of a document (default {DOCUMENT_MAX_DEPTH})",
    )


def document_limits(args: argparse.Namespace) -> DocumentLimits:
    from mockserver.safe_load import DocumentLimits

    return DocumentLimits(
        max_bytes=args.max_document_size,
        max_nodes=args.max_document_nodes,
        max_depth=args.max_document_depth,
    )


# -- serving bounds (docs/reliability.md, "Connections and shutdown") ------------------------
def add_serving_arguments(parser: argparse.ArgumentParser) -> None:
    """`serve`'s options for what a connection may cost and how a shutdown waits."""
    group = parser.add_argument_group("connections and shutdown")
    group.add_argument(
        "--graceful-timeout",
        type=whole_seconds,
        default=GRACEFUL_TIMEOUT,
        metavar="SECONDS",
        help="on SIGTERM or SIGINT, how long requests in flight may take to finish "
        f"(default {GRACEFUL_TIMEOUT})",
    )
    group.add_argument(
        "--request-timeout",
        type=positive_seconds,
        default=REQUEST_TIMEOUT,
        metavar="SECONDS",
        help="close a connection whose request is not complete this long after its first "
        f"byte (default {REQUEST_TIMEOUT:g})",
    )
    group.add_argument(
        "--max-header-bytes",
        type=count,
        default=MAX_HEADER_BYTES,
        metavar="BYTES",
        help="answer 431 to a request whose line and headers are larger "
        f"(default {MAX_HEADER_BYTES})",
    )
    group.add_argument(
        "--max-connections",
        type=count,
        metavar="N",
        help=f"answer 503 on a connection beyond N open ones (default {MAX_CONNECTIONS}, "
        "or fewer when the process may not open that many files)",
    )


def serving_limits(args: argparse.Namespace) -> ServingLimits:
    from mockserver.connections import ServingLimits

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


# -- outbound delivery (docs/reliability.md, "Outbound delivery") -----------------------------
def outbound_target(text: str) -> str:
    """A CIDR, an address or a host name (`--outbound-allow`)."""
    from mockserver.outbound import OutboundTargets

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
        type=count,
        default=DEFAULT_QUEUE_CAPACITY,
        help="messages waiting per destination; when full the oldest is dropped and "
        f"recorded as dropped (default {DEFAULT_QUEUE_CAPACITY})",
    )
    group.add_argument(
        "--delivery-concurrency",
        metavar="N",
        type=count,
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
