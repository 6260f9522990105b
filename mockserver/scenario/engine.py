"""A scenario in force on one simulator: its rules' counters, its dice, and what they decide.

Requests: rules are tried in order and the first one that matches and acts decides (a rate
limit under its limit only adds its headers, and the next rules are still tried). Downlinks:
the network core asks at two moments, before a transmission and when a confirmed downlink
is answered, and the first matching delivery rule decides. The dice are one seeded
`random.Random` per scenario, thrown only for calls that passed every other check, so the
same scenario and the same calls give the same outcomes.

The engine is called one simulator call at a time (the shell serialises them), so its
counters need no lock.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections import Counter, deque
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Any

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.validation import has_body
from mockserver.request_log import hooks
from mockserver.scenario.language import MAX_WIRE_DELAY
from mockserver.scenario.matching import downlink_matches, in_window, request_matches
from mockserver.scenario.model import Act, Rule, Scenario
from mockserver.types import SECOND, Micros

if TYPE_CHECKING:
    from mockserver.clock import Clock
    from mockserver.providers.base import Provider

_AT_TRANSMISSION = ("too_long", "evicted", "gateway_failure")
#: Headers a literal answer may not set: how the body is framed is the server's business.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


@dataclass
class RequestActs:
    """What the active scenario does to one request; `handle` says whether it reaches the
    provider at all (a reset connection or garbage never did)."""

    rule: Rule
    response: HttpResponse | None = None
    latency: float = 0.0  # seconds of wall time before the response starts, capped
    slow_body: tuple[float, int] | None = None  # seconds (capped), chunks
    drop: str | None = None
    garbage: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def handle(self) -> bool:
        return self.response is None and self.drop != "reset" and self.garbage is None

    @property
    def over_the_wire(self) -> bool:
        """Whether the shell must do something besides sending the response."""
        return bool(self.latency or self.slow_body or self.drop or self.garbage)

    def describe(self, status: int) -> list[str]:
        """What the rule did, in a few words each (the request log's line): latency, a cut,
        an injected answer."""
        act = self.rule.act
        said = []
        if self.response is not None:
            if act.rate_limit is not None:
                said.append(f"rate limited: {status}")
            elif act.error is not None:
                said.append(f"injected error {act.error.partition(':')[2].strip()}: {status}")
            else:
                said.append(f"answered {status}")
        if self.latency:
            said.append(f"latency {self.latency * 1000:.0f} ms")
        if self.slow_body is not None:
            seconds, chunks = self.slow_body
            said.append(f"slow body {seconds * 1000:.0f} ms in {chunks} chunks")
        if self.drop is not None:
            said.append(f"drop {self.drop}")
        if self.garbage is not None:
            said.append(f"{self.garbage} bytes of garbage")
        return said


#: What the journal shows when the client got no HTTP answer at all.
CONNECTION_FAILED = HttpResponse(0, {}, b"")


@dataclass(frozen=True, slots=True)
class FaultyResponse(HttpResponse):
    """A response that travels with the scenario's wire acts (latency, a slow body, a cut,
    garbage), as data: the serving shell carries them out (`mockserver.wire`). Plain
    responses are exactly `HttpResponse`, and skip all this."""

    acts: RequestActs | None = None

    @classmethod
    def of(cls, response: HttpResponse, acts: RequestActs) -> FaultyResponse:
        return cls(response.status, response.headers, response.body, acts)


class ActiveScenario:
    def __init__(self, scenario: Scenario, clock: Clock) -> None:
        self.scenario = scenario
        self.clock = clock
        self.loaded_at = clock.now_us()
        self.random = Random(scenario.seed)
        self._matched: Counter[int] = Counter()
        self._fired: Counter[int] = Counter()
        self._admitted: dict[int, deque[Micros]] = {}
        self._request_rules = [rule for rule in scenario.rules if not rule.on_delivery]
        self._delivery_rules = [rule for rule in scenario.rules if rule.on_delivery]
        self._silences = [
            (entry.at, entry.until or entry.at, str(entry.arguments["device"]))
            for entry in scenario.timeline
            if entry.kind == "device_silent"
        ]
        self._outages = [
            (entry.at, entry.until or entry.at)
            for entry in scenario.timeline
            if entry.kind == "gateway_outage"
        ]

    def since_load(self) -> Micros:
        return self.clock.now_us() - self.loaded_at

    # -- requests --------------------------------------------------------------------------
    def on_request(
        self,
        provider: Provider,
        operation_id: str | None,
        template: str | None,
        params: dict[str, str],
        request: HttpRequest,
    ) -> RequestActs | None:
        if not self._request_rules:
            return None
        since = self.since_load()
        extra_headers: dict[str, str] = {}
        header_rule: Rule | None = None  # a rate limit that admitted the call
        for rule in self._request_rules:
            if rule.act.error is not None and _error_provider(rule) != provider.name:
                continue  # a vendor's error by name answers only that vendor's calls
            if not in_window(rule.match, since) or not request_matches(
                rule.match,
                provider.name,
                operation_id,
                request.method,
                template,
                params,
                request,
            ):
                continue
            if not self._taken(rule):
                continue
            acts = self._request_acts(rule, provider, request, extra_headers)
            if acts is None and extra_headers and header_rule is None:
                header_rule = rule
            if acts is not None:
                self._fired[rule.index] += 1
                acts.headers = {**extra_headers, **acts.headers}
                return acts
        return RequestActs(header_rule, headers=extra_headers) if header_rule else None

    def _taken(self, rule: Rule) -> bool:
        """Count the call among the matching ones; then `calls` and the dice decide."""
        self._matched[rule.index] += 1
        calls = rule.match.calls
        if calls is not None and not calls.takes(self._matched[rule.index]):
            return False
        probability = rule.match.probability
        return probability is None or self.random.random() < probability

    def _request_acts(
        self, rule: Rule, provider: Provider, request: HttpRequest, extra: dict[str, str]
    ) -> RequestActs | None:
        act = rule.act
        acts = RequestActs(rule)
        if act.latency is not None:
            acts.latency = min(self._latency(act), MAX_WIRE_DELAY) / SECOND
        if act.slow_body is not None:
            duration, chunks = act.slow_body
            acts.slow_body = (min(duration, MAX_WIRE_DELAY) / SECOND, chunks)
        acts.drop = act.drop
        acts.garbage = act.garbage
        if act.rate_limit is not None:
            limited, headers = self._rate_limit(rule, provider)
            if not limited:
                extra.update(headers)  # admitted: TTS says how much is left on every answer
                return None if acts.latency == 0 and acts.slow_body is None else acts
            acts.response = provider.rate_limited(request, headers)
        elif act.error is not None:
            name = act.error.partition(":")[2].strip()
            acts.response = provider.scenario_error(name, request)
        elif act.status is not None:
            acts.response = _literal(act)
        return acts

    def _latency(self, act: Act) -> float:
        latency = act.latency
        assert latency is not None
        if latency.kind == "fixed":
            return latency.values[0]
        if latency.kind == "uniform":
            return self.random.uniform(*latency.values)
        return latency.lognormal_sample(self.random)  # capped: exp() cannot overflow

    def _rate_limit(self, rule: Rule, provider: Provider) -> tuple[bool, dict[str, str]]:
        """A sliding window on the simulator's clock: `limit` calls per `per`."""
        assert rule.act.rate_limit is not None
        limit, period = rule.act.rate_limit
        now = self.clock.now_us()
        admitted = self._admitted.setdefault(rule.index, deque())
        while admitted and admitted[0] <= now - period:
            admitted.popleft()
        limited = len(admitted) >= limit
        if not limited:
            admitted.append(now)
        reset = (admitted[0] + period - now) if admitted else period
        retry = reset if limited else 0
        headers = provider.rate_limit_headers(
            limit=limit,
            remaining=max(limit - len(admitted), 0),
            reset_seconds=math.ceil(reset / SECOND),
            retry_seconds=math.ceil(retry / SECOND),
        )
        return limited, headers

    # -- the radio side --------------------------------------------------------------------
    def uplink_lost(self, device_id: str) -> str | None:
        """Why an uplink of the device is not received now: it is silent, or no gateway is up."""
        since = self.since_load()
        for start, end, pattern in self._silences:
            if start <= since < end and fnmatch.fnmatchcase(device_id, pattern):
                return "device_silent"
        if self._in_outage(since):
            return "gateway_outage"
        return None

    def _in_outage(self, since: Micros) -> bool:
        return any(start <= since < end for start, end in self._outages)

    def unreachable_until(self, device_id: str) -> Micros | None:
        """While a device is silent it is out of reach both ways: nothing is transmitted to
        it. The clock time its silence ends (overlapping silences joined), or None."""
        since = self.since_load()
        end = None
        for start, stop, pattern in self._silences:
            if start <= since < stop and fnmatch.fnmatchcase(device_id, pattern):
                end = max(end or stop, stop)
        if end is None:
            return None
        extended = True
        while extended:  # a silence that starts before this one ends prolongs it
            extended = False
            for start, stop, pattern in self._silences:
                if start <= end < stop and fnmatch.fnmatchcase(device_id, pattern):
                    end, extended = stop, True
        return self.loaded_at + end

    # -- downlinks -------------------------------------------------------------------------
    def at_transmission(self, provider: str | None, device_id: str, confirmed: bool) -> str | None:
        """A fault that stops the downlink now or at its transmission, if a rule says so."""
        if self._in_outage(self.since_load()):
            return "gateway_failure"
        return self._delivery(provider, device_id, confirmed, _AT_TRANSMISSION)

    def at_bearer(self, provider: str | None, device_id: str, fault: str) -> bool:
        """True when a rule makes this MQTT publication or SMS fail (`fault` names which)."""
        return self._delivery(provider, device_id, False, (fault,)) is not None

    def at_confirmation(self, provider: str | None, device_id: str) -> bool:
        """True when a rule makes the device answer this confirmed downlink with a NACK."""
        return self._delivery(provider, device_id, True, ("nack",)) is not None

    def _delivery(
        self, provider: str | None, device_id: str, confirmed: bool, faults: tuple[str, ...]
    ) -> str | None:
        fired = self._delivery_rule(provider, device_id, confirmed, faults)
        fault = fired.act.delivery if fired is not None else None
        if fired is None or fault is None:  # a delivery rule always names its fault
            return None
        hooks.log_delivery_act(self.clock, fired.name, fault, provider, device_id)
        return fault

    def _delivery_rule(
        self, provider: str | None, device_id: str, confirmed: bool, faults: tuple[str, ...]
    ) -> Rule | None:
        since = self.since_load()
        for rule in self._delivery_rules:
            if rule.act.delivery not in faults or not in_window(rule.match, since):
                continue
            if not downlink_matches(rule.match, provider, device_id, confirmed):
                continue
            if self._taken(rule):
                self._fired[rule.index] += 1
                return rule
        return None

    # -- reporting -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.scenario.name,
            "description": self.scenario.description,
            "source": self.scenario.source,
            "seed": self.scenario.seed,
            "loaded_at_us": self.loaded_at,
            "rules": [
                {
                    "name": rule.name,
                    "kind": "delivery" if rule.on_delivery else "request",
                    "matched": self._matched[rule.index],
                    "fired": self._fired[rule.index],
                }
                for rule in self.scenario.rules
            ],
        }


def _error_provider(rule: Rule) -> str:
    assert rule.act.error is not None
    return rule.act.error.partition(":")[0].strip()


def _literal(act: Act) -> HttpResponse:
    """A literal answer as written, except for framing: the server computes Content-Length
    (a stated one would desynchronise the connection), and 1xx, 204 and 304 carry no body."""
    headers = {
        name.lower(): value
        for name, value in act.headers.items()
        if name.lower() not in FRAMING_HEADERS
    }
    status = act.status or 500
    if not has_body(status):
        return HttpResponse(status, headers, b"")
    body = act.body
    if body is None:
        encoded = b""
    elif isinstance(body, str):
        encoded = body.encode()
    else:
        encoded = json.dumps(body).encode()
    default_type = "text/plain; charset=utf-8" if isinstance(body, str) else "application/json"
    return HttpResponse(status, {"content-type": default_type, **headers}, encoded)
