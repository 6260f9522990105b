"""The calls the simulator makes where something worth a line happens.

Each checks its logger first and builds nothing when the line would not be shown. Records
are made directly (`makeRecord` + `handle`) rather than through `Logger.log`, which would
walk the stack for a file name and line number no request-log line shows.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from mockserver.request_log.events import (
    ADMIN,
    API,
    LOWEST_API_LEVEL,
    OUTBOUND,
    SCENARIO,
    TENANT_HEADER,
    AdminCall,
    Delivery,
    DeliveryAct,
    Event,
    Exchange,
    RequestAct,
    delivery_level,
    describe_acts,
    exchange_level,
    sim_time,
)

if TYPE_CHECKING:
    from mockserver.asgi import Receive, Scope, Send
    from mockserver.clock import Clock
    from mockserver.contract import HttpRequest
    from mockserver.outbound import OutboundAttempt
    from mockserver.scenario.engine import RequestActs

_recorded = threading.local()


def remember(fields: tuple[Any, ...]) -> None:
    """Called with each exchange the journal records: the ASGI layer reads it back on the
    same thread right after `dispatch` returns, before it awaits anything, so concurrent
    calls (other tasks of the loop, other in-process clients' threads) cannot mix them up."""
    _recorded.fields = fields


def recalled() -> tuple[Any, ...] | None:
    """The exchange last remembered on this thread, taken (a later read gets None)."""
    return _recorded.__dict__.pop("fields", None)


def api_logged() -> bool:
    """Whether an API call could be logged at all: worth timing it."""
    return API.isEnabledFor(LOWEST_API_LEVEL)


def _emit(logger: logging.Logger, event: Event) -> None:
    logger.handle(logger.makeRecord(logger.name, event.level, "", 0, event, (), None))


def log_exchange(clock: Clock, fields: tuple[Any, ...] | None, started: float) -> None:
    """One API call, answered (or cut); `started` is its `time.perf_counter()` on arrival."""
    if fields is None:
        return
    level = exchange_level(fields[6])
    if API.isEnabledFor(level):
        duration = (time.perf_counter() - started) * 1000
        tenant = fields[4].headers.get(TENANT_HEADER)
        _emit(API, Exchange(fields, duration, tenant, level, sim_time(clock, fields[1])))


async def serve_admin_logged(
    app: Any, clock: Clock, scope: Scope, receive: Receive, send: Send
) -> None:
    """The admin app, with one DEBUG line per call once it has answered."""
    started = time.perf_counter()
    status = 0

    async def sending(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    try:
        await app(scope, receive, sending)
    finally:
        tenant = None
        for name, value in scope["headers"]:
            if name == b"x-mockserver-tenant":
                tenant = value.decode("latin-1")
        duration = (time.perf_counter() - started) * 1000
        path = scope["path"] + (
            f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else ""
        )
        event = AdminCall(scope["method"], path, status, duration, tenant)
        event.sim = sim_time(clock, clock.now_us())
        _emit(ADMIN, event)


def log_request_acts(
    clock: Clock, acts: RequestActs, provider: str, request: HttpRequest, status: int
) -> None:
    """What a scenario rule did to one API call, once the answer is decided."""
    if not SCENARIO.isEnabledFor(logging.INFO):
        return
    said = describe_acts(acts, status)
    if said:
        tenant = request.headers.get(TENANT_HEADER)
        event = RequestAct(acts.rule.name, said, provider, request.method, request.path, tenant)
        event.sim = sim_time(clock, clock.now_us())
        _emit(SCENARIO, event)


def log_delivery_act(
    clock: Clock, rule: str, fault: str, provider: str | None, device_id: str
) -> None:
    """A delivery rule that failed a downlink (NACK, too long, gateway failure...)."""
    if SCENARIO.isEnabledFor(logging.INFO):
        event = DeliveryAct(rule, fault, provider, device_id)
        event.sim = sim_time(clock, clock.now_us())
        _emit(SCENARIO, event)


def log_delivery(attempt: OutboundAttempt, clock: Clock | None) -> None:
    """An outbound message tried, delivered or not."""
    level = delivery_level(attempt)
    if OUTBOUND.isEnabledFor(level):
        event = Delivery(attempt, level)
        event.sim = sim_time(clock, attempt.message.at) if clock is not None else None
        _emit(OUTBOUND, event)
