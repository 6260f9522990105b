"""Our server with the simulator's work taken out: `BENCH_SHELL=1 python -m benchmarks.cpu`.

Every API call is answered `200 {}` at once instead of by `Simulator.dispatch`; uvicorn, the
connection bounds, the tenant router, the admin guard and the ASGI adapter run as served
(the request log writes no line: nothing was journalled). The difference between this
server's CPU per request and ours is what the simulator itself costs per call when served,
which is more than `benchmarks.inprocess` measures for the same call: served, its code
shares the core's caches with the event loop and the HTTP parser between requests.

Run as `python -m benchmarks.shell_only serve ARGS`, as `mockserver serve ARGS` is run.
"""

from __future__ import annotations

from mockserver.cli import main
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.simulator.simulator import Simulator

ANSWER = HttpResponse(200, {"content-type": "application/json"}, b"{}")


def answer_only(simulator: Simulator, request: HttpRequest) -> HttpResponse:
    simulator.last_exchange = None  # nothing journalled: the request log has no fields
    return ANSWER


if __name__ == "__main__":
    Simulator.dispatch = answer_only  # type: ignore[method-assign]
    raise SystemExit(main())
