"""Messages the simulator sends to applications (webhooks, integration POSTs, reports), as data.

The simulator never opens a connection: a provider hands each message to the `Outbox`, which
checks it against its description, keeps the attempt in a bounded journal and passes it to
the sink the serving shell gave it (`mockserver.delivery`, which does the HTTP). A simulator
without a shell keeps its attempts pending: what would have been sent is still there to read.
"""

from __future__ import annotations

import ipaddress
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from mockserver.clock import to_datetime
from mockserver.redaction import redact_body, redact_headers, redact_url
from mockserver.types import Micros


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    provider: str
    kind: str  # e.g. "uplink_message", "downlink_sent"
    url: str
    headers: dict[str, str]
    body: bytes
    at: Micros  # simulated instant the message belongs to
    device_id: str = ""
    method: str = "POST"


#: What became of an attempt: `pending` (queued or being sent), `delivered` (a 2xx answer),
#: `failed` (another answer, a transport error or the timeout), `dropped` (pushed out of a
#: full queue, or a refused target), `cancelled` (a reset took it back before it was sent).
Outcome = Literal["pending", "delivered", "failed", "dropped", "cancelled"]
OUTCOMES: tuple[Outcome, ...] = ("pending", "delivered", "failed", "dropped", "cancelled")


@dataclass(slots=True)
class OutboundAttempt:
    message: OutboundMessage
    status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0
    done: bool = field(default=False, compare=False)
    #: How the message broke its provider's description (ContractViolation.to_json()).
    violations: list[dict[str, Any]] = field(default_factory=list)
    #: Set when the attempt ends without an answer on purpose (`dropped`, `cancelled`).
    given_up: Outcome | None = None

    @property
    def outcome(self) -> Outcome:
        if self.given_up is not None:
            return self.given_up
        if not self.done:
            return "pending"
        if self.status is not None and 200 <= self.status < 300:
            return "delivered"
        return "failed"

    def to_json(self) -> dict[str, Any]:
        """The attempt as the admin API and the dashboard show it: credentials masked."""
        shown = redact_body(self.message.body)
        try:
            body: Any = json.loads(shown)
        except ValueError:
            body = shown.decode("utf-8", "replace")
        return {
            "provider": self.message.provider,
            "kind": self.message.kind,
            "method": self.message.method,
            "device_id": self.message.device_id,
            "at": to_datetime(self.message.at).isoformat().replace("+00:00", "Z"),
            "url": redact_url(self.message.url),
            "headers": dict(redact_headers(self.message.headers)),  # X-Downlink-Apikey
            "body": body,
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 2),
            "delivered": self.status is not None and 200 <= self.status < 300,
            "outcome": self.outcome,
            "violations": self.violations,
        }


#: Checks a message before it is sent (the contract layer); returns its violations.
OutboundCheck = Callable[[OutboundMessage], list[Any]]


class DeliverySink(Protocol):
    """Where the outbox hands attempts: the shell's delivery worker."""

    def deliver(self, attempt: OutboundAttempt) -> None:
        """Try to send the attempt's message, later, and fill in its outcome."""
        ...

    def settle(self) -> None:
        """The world the attempts belong to is going (a reset): give up every attempt handed
        over so far that is not finished, at once, each recorded as `cancelled`."""
        ...


class _KeepPending:
    """The sink of a simulator with no shell: nothing is sent, attempts stay pending."""

    def deliver(self, attempt: OutboundAttempt) -> None:
        pass

    def settle(self) -> None:
        pass


# -- where the simulator may send ------------------------------------------------------------
#: Addresses no message goes to unless `--outbound-allow` names them: link-local networks,
#: where clouds serve instance metadata and credentials (169.254.169.254, AWS's
#: fd00:ec2::254). A server reachable by others must not be a way to read them.
BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
#: URLs whose answer `OutboundTargets.refusal` keeps (then it starts again).
REFUSALS_KEPT = 1024


def _address(host: str) -> Address | None:
    """The host as an address when it is one: dotted or bracketed, and the all-digit form
    (`2852039166`) resolvers also read as IPv4. None for a name."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if host.isdigit() and int(host) < 2**32:
            return ipaddress.IPv4Address(int(host))
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class OutboundTargets:
    """Which destinations outbound messages (webhooks, integrations, reports) may have.

    Everything except `BLOCKED_NETWORKS`; `allow` (the `--outbound-allow` values: a CIDR,
    an address or a host name) takes some back. Names are checked again on the addresses
    they resolve to when a message is sent (`refusal_for_address`, by the delivery worker).
    """

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.allow = tuple(allow)
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self._names: set[str] = set()
        for entry in self.allow:
            try:
                self._networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                if not entry or "/" in entry:
                    raise ValueError(
                        f"--outbound-allow {entry!r}: expected a CIDR, an address or a host name"
                    ) from None
                self._names.add(entry.lower().rstrip("."))
        #: `refusal` by URL: a pure function of the URL and `allow` (neither changes), asked
        #: for the same few URLs at every world build (each reset) and every message sent.
        self._refusals: dict[str, str | None] = {}

    def refusal(self, url: str) -> str | None:
        """Why a message may not go to `url` (None: it may, as far as its text tells)."""
        try:
            return self._refusals[url]
        except KeyError:
            pass
        if len(self._refusals) >= REFUSALS_KEPT:  # URLs of templates expanded per message
            self._refusals.clear()
        found = self._refusals[url] = self._refusal(url)
        return found

    def _refusal(self, url: str) -> str | None:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            return None  # not a URL the check can read: the sender's own error comes later
        if host.lower().rstrip(".") in self._names:
            return None
        address = _address(host)
        return None if address is None else self.refusal_for_address(address, host)

    def host_allowed(self, host: str) -> bool:
        """`--outbound-allow` names this host: its addresses are not checked."""
        return host.lower().rstrip(".") in self._names

    def refusal_for_address(self, address: Address, host: str) -> str | None:
        """Why no message may go to `address` (which `host` is or resolves to)."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not any(address in network for network in BLOCKED_NETWORKS):
            return None
        if any(address in network for network in self._networks):
            return None
        shown = host if host == str(address) else f"{host} ({address})"
        return (
            f"outbound target {shown} refused: link-local and cloud-metadata addresses "
            "(169.254.0.0/16, fe80::/10, fd00:ec2::254) are not called unless allowed "
            "with --outbound-allow"
        )


#: Keys of a world description whose values are URLs the simulator sends messages to: TTS
#: webhooks' `base_url`, TTN v2 integrations' and ThingPark application servers' `url`.
TARGET_KEYS = ("base_url", "url")


def target_problems(
    description: Mapping[str, Any], targets: OutboundTargets
) -> Iterator[tuple[str, str]]:
    """(where, why) for each URL in a world description that names a refused target.

    Asked at every world build (each reset): a flat scan finds whether any is refused
    first, and only then does the walk that names where (issue 21: the walk was a quarter
    of a reset's time)."""
    if not _any_refused(description, targets):
        return iter(())

    def walk(node: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in TARGET_KEYS and isinstance(value, str):
                    refused = targets.refusal(value)
                    if refused is not None:
                        yield "/".join((*path, str(key))), refused
                else:
                    yield from walk(value, (*path, str(key)))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                yield from walk(item, (*path, str(index)))

    return walk(description, ())


#: What a parsed description's containers are (any other `Mapping` is walked too), and its
#: leaves: `isinstance` against these runs in C, against `Mapping` it does not.
_CONTAINERS = (dict, list)
_LEAVES = (str, int, float, type(None))


def _any_refused(description: Mapping[str, Any], targets: OutboundTargets) -> bool:
    """Whether `target_problems` finds any: the same nodes, without their paths."""
    pending: list[Any] = [description]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            for item in node:
                if isinstance(item, _CONTAINERS) or (
                    not isinstance(item, _LEAVES) and isinstance(item, Mapping)
                ):
                    pending.append(item)
            continue
        for key, value in node.items():
            if isinstance(value, str):
                if key in TARGET_KEYS and targets.refusal(value) is not None:
                    return True
            elif isinstance(value, _CONTAINERS) or (
                not isinstance(value, _LEAVES) and isinstance(value, Mapping)
            ):
                pending.append(value)
    return False


class Outbox:
    """The attempts of one simulator, newest last, bounded by `capacity`."""

    def __init__(
        self,
        capacity: int = 10_000,
        check: OutboundCheck | None = None,
        sink: DeliverySink | None = None,
        targets: OutboundTargets | None = None,
    ) -> None:
        self.check = check
        self.sink: DeliverySink = sink or _KeepPending()
        #: Where messages may go (`--outbound-allow` widens it).
        self.targets = targets or OutboundTargets()
        self._attempts: deque[OutboundAttempt] = deque(maxlen=capacity)

    def send(self, message: OutboundMessage) -> OutboundAttempt:
        attempt = OutboundAttempt(message)
        if self.check is not None:
            attempt.violations = [violation.to_json() for violation in self.check(message)]
        self._attempts.append(attempt)
        refused = self.targets.refusal(message.url)
        if refused is not None:  # a template expanded to a refused address: never sent
            attempt.error = refused
            attempt.done = True
        self.sink.deliver(attempt)  # the sink records, logs and counts a refused one too
        return attempt

    def attempts(self) -> list[OutboundAttempt]:
        """A copy, taken in one step (`list` of a deque runs in C): a reader on another
        thread than the simulator's never sees the journal half-changed."""
        return list(self._attempts)

    def settle(self) -> None:
        self.sink.settle()

    def clear(self) -> None:
        self._attempts.clear()
