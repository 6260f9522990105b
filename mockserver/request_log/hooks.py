"""The calls the simulator makes where something worth a line happens.

Each checks its logger first and builds nothing when the line would not be shown. Records
are made directly (`makeRecord` + `handle`) rather than through `Logger.log`, which would
walk the stack for a file name and line number no request-log line shows.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from mockserver.request_log.events import (
    API,
    LOWEST_API_LEVEL,
    OUTBOUND,
    SCENARIO,
    TENANT_HEADER,
    Delivery,
    DeliveryAct,
    Event,
    Exchange,
    RequestAct,
    delivery_level,
    exchange_level,
    sim_time,
)

if TYPE_CHECKING:
    from mockserver.clock import Clock
    from mockserver.contract import HttpRequest
    from mockserver.outbound import OutboundAttempt


class DirectHandler(logging.Handler):
    """A handler that also takes an API call's event without a record: serve's
    (`console._Handler`; defined there, since that module starts a thread and the simulator
    imports this one)."""

    def write_event(self, event: Event) -> None:
        raise NotImplementedError


_ROOT = logging.getLogger("mockserver")
#: serve's handler (`console.install`): an API call's line goes to it directly while it is
#: the only handler the line would reach.
direct: DirectHandler | None = None


def _direct_to(level: int) -> DirectHandler | None:
    """serve's handler, if it is all that an API line at `level` would reach: no filter, no
    other handler on the way (pytest's log capture, a user's own), nothing propagated past
    it. Otherwise None, and the line goes the usual way (a `LogRecord`)."""
    handler = direct
    if handler is None or level < handler.level or handler.filters:
        return None
    root = _ROOT
    if (
        len(root.handlers) != 1
        or root.handlers[0] is not handler
        or root.propagate
        or root.filters
        or API.filters
    ):
        return None
    if not API.propagate or any(type(each) is not logging.NullHandler for each in API.handlers):
        return None
    return handler


def api_logged() -> bool:
    """Whether an API call could be logged at all: worth timing it."""
    return API.isEnabledFor(LOWEST_API_LEVEL)


def emit(logger: logging.Logger, event: Event) -> None:
    logger.handle(logger.makeRecord(logger.name, event.level, "", 0, event, (), None))


def log_exchange(clock: Clock, fields: tuple[Any, ...] | None, started: float) -> None:
    """One API call, answered (or cut); `started` is its `time.perf_counter()` on arrival."""
    if fields is None:
        return
    level = exchange_level(fields[6], fields[4].warnings)
    if API.isEnabledFor(level):
        duration = (time.perf_counter() - started) * 1000
        tenant = fields[4].headers.get(TENANT_HEADER)
        event = Exchange(fields, duration, tenant, level, sim_time(clock, fields[1]))
        handler = _direct_to(level)
        if handler is not None:
            handler.write_event(event)
        else:
            emit(API, event)


def scenario_logged() -> bool:
    """Whether what scenario rules do is logged at all: worth describing it."""
    return SCENARIO.isEnabledFor(logging.INFO)


def log_request_acts(
    clock: Clock, rule: str, said: list[str], provider: str, request: HttpRequest
) -> None:
    """What a scenario rule did to one API call (`said`: in a few words each), once the
    answer is decided."""
    if said and SCENARIO.isEnabledFor(logging.INFO):
        tenant = request.headers.get(TENANT_HEADER)
        event = RequestAct(rule, said, provider, request.method, request.path, tenant)
        event.sim = sim_time(clock, clock.now_us())
        emit(SCENARIO, event)


def log_delivery_act(
    clock: Clock, rule: str, fault: str, provider: str | None, device_id: str
) -> None:
    """A delivery rule that failed a downlink (NACK, too long, gateway failure...)."""
    if SCENARIO.isEnabledFor(logging.INFO):
        event = DeliveryAct(rule, fault, provider, device_id)
        event.sim = sim_time(clock, clock.now_us())
        emit(SCENARIO, event)


def log_delivery(attempt: OutboundAttempt, clock: Clock | None) -> None:
    """An outbound message tried, delivered or not."""
    level = delivery_level(attempt)
    if OUTBOUND.isEnabledFor(level):
        event = Delivery(attempt, level)
        event.sim = sim_time(clock, attempt.message.at) if clock is not None else None
        emit(OUTBOUND, event)
