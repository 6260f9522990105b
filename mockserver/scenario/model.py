"""A scenario once read and checked: plain frozen values, durations in microseconds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random
from typing import Any

from mockserver.scenario.language import MAX_DURATION
from mockserver.types import Micros

_LOG_MAX_DURATION = math.log(MAX_DURATION)


@dataclass(frozen=True)
class Calls:
    """Which of the otherwise matching calls a rule takes: `nth`, `every`, `first`, `after`."""

    kind: str
    count: int

    def takes(self, seen: int) -> bool:
        """`seen` is this call's 1-based position among the matching ones."""
        if self.kind == "nth":
            return seen == self.count
        if self.kind == "every":
            return seen % self.count == 0
        if self.kind == "first":
            return seen <= self.count
        return seen > self.count  # after


@dataclass(frozen=True)
class Match:
    provider: str | None = None
    operation: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    confirmed: bool | None = None
    calls: Calls | None = None
    probability: float | None = None
    window_from: Micros | None = None
    window_to: Micros | None = None


@dataclass(frozen=True)
class Latency:
    kind: str  # fixed, uniform, lognormal
    values: tuple[float, ...]  # fixed: (us,); uniform: (low, high); lognormal: (median, sigma)

    def lognormal_sample(self, random: Random) -> float:
        """A lognormal draw in microseconds that cannot overflow: `exp` of a normal draw is
        unbounded, so the exponent is capped at the longest duration a scenario takes. The
        dice are thrown as `random.lognormvariate` throws them (one normal draw)."""
        median, sigma = self.values
        exponent = random.normalvariate(math.log(max(median, 1.0)), sigma)
        return math.exp(exponent) if exponent < _LOG_MAX_DURATION else float(MAX_DURATION)


@dataclass(frozen=True)
class Act:
    error: str | None = None  # "provider: name"
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    latency: Latency | None = None
    slow_body: tuple[Micros, int] | None = None  # duration, chunks
    drop: str | None = None  # reset, after_headers
    garbage: int | None = None
    rate_limit: tuple[int, Micros] | None = None  # limit per period
    delivery: str | None = None

    @property
    def responds(self) -> bool:
        return self.error is not None or self.status is not None


@dataclass(frozen=True)
class Rule:
    index: int
    name: str
    match: Match
    act: Act

    @property
    def on_delivery(self) -> bool:
        """Delivery rules match downlinks as the network decides their fate, not requests."""
        return self.act.delivery is not None


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # uplink, revoke_key, session_reset, device_silent, gateway_outage
    at: Micros
    until: Micros | None
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    seed: int
    world: dict[str, Any] | None
    timeline: tuple[TimelineEntry, ...]
    rules: tuple[Rule, ...]
    source: str  # the file, "bundled:<name>" or "inline"
    document: dict[str, Any] = field(default_factory=dict, compare=False)
