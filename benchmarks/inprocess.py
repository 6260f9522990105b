"""CPU per request on the hot path, in process: straight into `MockServer.dispatch`.

No socket, no ASGI adapter, no request log: what the simulator itself costs per call, so a
change to the contract layer, a provider or the routing shows its own before/after without
a load generator's noise. `make bench` (benchmarks/run.py) measures the served figure; the
difference between the two is what the serving shell costs.

Each route is called CALLS times per round with `time.process_time()` around the loop, and
the best of ROUNDS rounds is kept (a busy neighbour only ever makes a round slower). State
is reset between rounds, outside the timed loop, so queues and stores stay the same size.
Every answer must be 2xx: a failing route would measure its error path.

Run from the repository root: `python -m benchmarks.inprocess` (all routes), or name routes:
`python -m benchmarks.inprocess kpn_create kpn_list`. `--profile ROUTE` prints a cProfile
of one round of that route instead. `--asgi` adds a column: the same calls through the
served ASGI app (`MockServer.asgi`: tenant router, adapter, the simulator's thread hop,
the answer written to a callable) on one event loop, still without a socket or uvicorn;
the difference is what the shell costs per call above `dispatch`.

`--evict BYTES` (such as `--evict 1048576`) adds another: the same calls with a buffer of
BYTES written once per cache line between calls, outside the timed part (each call is timed
alone, `thread_time`), as a served process's event loop, HTTP parser and kernel touch other
memory between requests. The difference says how much of a call's cost is fetching its code
and data back into the core's caches (benchmarks/README.md, "Why the four per-request rows
do not hold").
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.server import MockServer

ROUNDS, CALLS = 7, 2000
#: KPN's list: a page of the largest size from a store of this many records.
LIST_RECORDS, LIST_PAGE, LIST_ROUNDS, LIST_CALLS = 20_000, 1000, 5, 10

TTS_REPLACE = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/replace"
TTS_BODY = b'{"downlinks":[{"frm_payload":"vu8=","f_port":15,"priority":"NORMAL"}]}'
KPN_TOKEN = "/api/v3/idp/oidc/token"
KPN_AUDIENCE = "4dc82561-f65f-523g-dek9-6c79ec314f02"
KPN_BODY = (
    b'{"deviceId":"urn:dev:deveui:0004a30b001a2b3c",'
    b'"message":{"payloadHex":"0102","fPort":1},"feedbackTimeout":"PT10M"}'
)
KPN_HTTP_BODY = (
    b'{"deviceId":"imei:356938035643809","message":{"type":"text","body":"abcd"},'
    b'"feedbackTimeout":"PT10M"}'
)
TP_TOKEN = "/admin/latest/api/oauth/token"
TP_POST = "/core/v141/api/devices/1001/downlinkMessages"
TP_BODY = b'{"payloadHex":"0102","targetPorts":"1"}'
JSON = "application/json"


def request(
    method: str, path: str, body: bytes = b"", query: str = "", **headers: str
) -> HttpRequest:
    """A fresh request (the simulator notes its findings on it, so each call needs one)."""
    return HttpRequest(
        method, path, query, {k.replace("_", "-"): v for k, v in headers.items()}, body
    )


def answered(server: MockServer, made: HttpRequest) -> HttpResponse:
    response = server.dispatch(made)
    if not 200 <= response.status < 300:
        raise RuntimeError(f"{made.method} {made.path}: {response.status} {response.body[:300]!r}")
    return response


@dataclass
class Route:
    """One route as measured: the server it runs on, what one call sends, how to reset."""

    server: MockServer
    call: Callable[[], HttpRequest]
    reset: Callable[[], None]
    calls: int = CALLS
    rounds: int = ROUNDS


def tts_replace() -> Route:
    server = MockServer(tenants=False)

    def call() -> HttpRequest:
        return request(
            "POST", TTS_REPLACE, TTS_BODY, content_type=JSON, authorization="Bearer NNSXS.XXXXXXXXX"
        )

    return Route(server, call, server.reset)


def kpn_token(server: MockServer) -> str:
    body = json.dumps(
        {
            "grant_type": "client_credentials",
            "audience": KPN_AUDIENCE,
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        }
    ).encode()
    response = answered(server, request("POST", KPN_TOKEN, body, content_type=JSON))
    return str(json.loads(response.body)["access_token"])


def kpn_create() -> Route:
    server = MockServer(tenants=False)
    holder = {"token": kpn_token(server)}

    def call() -> HttpRequest:
        return request(
            "POST",
            "/lora/downlinks",
            KPN_BODY,
            content_type=JSON,
            authorization=f"Bearer {holder['token']}",
        )

    def reset() -> None:
        server.reset()
        holder["token"] = kpn_token(server)

    return Route(server, call, reset)


def kpn_list() -> Route:
    """`GET /http/downlinks?limit=1000` over a store of LIST_RECORDS records."""
    server = MockServer(tenants=False)
    token = kpn_token(server)
    for _ in range(LIST_RECORDS):
        answered(
            server,
            request(
                "POST",
                "/http/downlinks",
                KPN_HTTP_BODY,
                content_type=JSON,
                authorization=f"Bearer {token}",
            ),
        )

    def call() -> HttpRequest:
        return request(
            "GET",
            "/http/downlinks",
            query=f"limit={LIST_PAGE}",
            authorization=f"Bearer {token}",
        )

    return Route(server, call, lambda: None, LIST_CALLS, LIST_ROUNDS)


def thingpark_token(server: MockServer) -> str:
    body = (
        b"grant_type=client_credentials&client_id=tpe-api%2Fdemo%40example.com"
        b"&client_secret=demo-secret"
    )
    made = request("POST", TP_TOKEN, body, content_type="application/x-www-form-urlencoded")
    return str(json.loads(answered(server, made).body)["access_token"])


def thingpark_post() -> Route:
    server = MockServer(tenants=False)
    holder = {"token": thingpark_token(server)}

    def call() -> HttpRequest:
        return request(
            "POST",
            TP_POST,
            TP_BODY,
            content_type=JSON,
            accept=JSON,
            authorization=f"Bearer {holder['token']}",
        )

    def reset() -> None:
        server.reset()
        holder["token"] = thingpark_token(server)

    return Route(server, call, reset)


ROUTES: dict[str, Callable[[], Route]] = {
    "tts_replace": tts_replace,
    "kpn_create": kpn_create,
    "thingpark_post": thingpark_post,
    "kpn_list": kpn_list,
}


def one_round(route: Route) -> float:
    """CPU seconds for `route.calls` calls (requests built beforehand, answers checked after)."""
    made = [route.call() for _ in range(route.calls)]
    dispatch = route.server.dispatch
    started = time.process_time()
    answers = [dispatch(each) for each in made]
    spent = time.process_time() - started
    failed = [a for a in answers if not 200 <= a.status < 300]
    if failed:
        raise RuntimeError(f"{len(failed)} calls failed: {failed[0].status} {failed[0].body!r}")
    return spent


def evicting_round(size: int) -> Callable[[Route], float]:
    """`one_round`, with a buffer of `size` bytes written (one byte per 64-byte cache line)
    before each call; only the calls are timed."""
    buffer = bytearray(size)
    lines = range(0, size, 64)

    def measured(route: Route) -> float:
        made = [route.call() for _ in range(route.calls)]
        dispatch = route.server.dispatch
        clock = time.thread_time_ns
        spent = 0
        answers = []
        for each in made:
            for at in lines:
                buffer[at] ^= 1
            started = clock()
            answers.append(dispatch(each))
            spent += clock() - started
        failed = [a for a in answers if not 200 <= a.status < 300]
        if failed:
            raise RuntimeError(f"{len(failed)} calls failed: {failed[0].status}")
        return spent / 1e9

    return measured


def _scope(made: HttpRequest) -> dict[str, object]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": made.method,
        "scheme": "http",
        "path": made.path,
        "raw_path": made.path.encode(),
        "query_string": made.query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8080"),
            *((name.encode(), value.encode()) for name, value in made.headers.items()),
            (b"content-length", str(len(made.body)).encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }


def asgi_round(route: Route) -> float:
    """CPU seconds (every thread of the process) for `route.calls` calls through the ASGI
    app, one after the other on one event loop."""
    made = [route.call() for _ in range(route.calls)]
    app = route.server.asgi

    async def run() -> list[int]:
        statuses = []
        for each in made:
            body = each.body

            async def receive(body: bytes = body) -> dict[str, object]:
                return {"type": "http.request", "body": body, "more_body": False}

            sent: list[dict[str, object]] = []

            async def send(
                message: dict[str, object], sent: list[dict[str, object]] = sent
            ) -> None:
                sent.append(message)

            await app(_scope(each), receive, send)  # type: ignore[arg-type]
            statuses.append(int(sent[0]["status"]))  # type: ignore[call-overload]
        return statuses

    loop = asyncio.new_event_loop()
    try:
        started = time.process_time()
        statuses = loop.run_until_complete(run())
        spent = time.process_time() - started
    finally:
        loop.close()
    failed = [status for status in statuses if not 200 <= status < 300]
    if failed:
        raise RuntimeError(f"{len(failed)} calls failed through ASGI: {failed[0]}")
    return spent


def measure(route: Route, measured: Callable[[Route], float] = one_round) -> tuple[float, float]:
    """Best and median microseconds per call over the route's rounds."""
    measured(route)  # warm-up: compiled validators, caches
    figures = []
    for _ in range(route.rounds):
        route.reset()
        figures.append(measured(route) / route.calls * 1e6)
    figures.sort()
    return figures[0], figures[len(figures) // 2]


def profile(name: str) -> None:
    """cProfile of one round, with the cyclic collector paused: its passes would otherwise
    be charged to whichever function happened to allocate (the timed rounds keep it on)."""
    route = ROUTES[name]()
    one_round(route)
    route.reset()
    gc.collect()
    gc.disable()
    profiler = cProfile.Profile()
    profiler.enable()
    one_round(route)
    profiler.disable()
    gc.enable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--profile"]:
        profile(args[1])
        return
    through_asgi = "--asgi" in args
    evict = int(args[args.index("--evict") + 1]) if "--evict" in args else 0
    skipped = {"--asgi", "--evict", str(evict)}
    names = [arg for arg in args if arg not in skipped] or list(ROUTES)
    print("in-process dispatch, CPU per call (process_time, best and median of rounds)")
    for name in names:
        route = ROUTES[name]()
        best, median = measure(route)
        unit = f"{route.calls} calls x {route.rounds}"
        if best >= 10_000:
            line = f"{name:16}{best / 1000:>9.1f} ms  median {median / 1000:>7.1f} ms  ({unit})"
        else:
            line = f"{name:16}{best:>9.1f} us  median {median:>7.1f} us  ({unit})"
        if through_asgi:
            served, _ = measure(route, asgi_round)
            line += f"  asgi {served:.1f} us (shell {served - best:+.1f} us)"
        if evict:
            cold, _ = measure(route, evicting_round(evict))
            line += f"  {evict // 1024} KiB touched between calls: {cold:.1f} us"
        print(line)
        route.server.host.close()


if __name__ == "__main__":
    main()
