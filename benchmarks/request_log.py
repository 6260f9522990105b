"""What one request-log line costs the server, measured in-process.

wrk's requests/s with the log on and off differ by less than a busy machine's noise, so
this measures the line itself: the hook the ASGI layer calls after each API call, with
serve's handler writing to /dev/null, best of several rounds. Off is the hook when the
level hides the line (what every call pays).

Run from the repository root: `python -m benchmarks.request_log`.
"""

from __future__ import annotations

import os
import timeit

from mockserver.clock import VirtualClock
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.request_log import hooks, install, uninstall

PATH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/replace"
ROUNDS, CALLS = 9, 5000


def per_line(log_format: str, level: str) -> float:
    """Microseconds per API call's log hook, best of ROUNDS."""
    clock = VirtualClock()
    request = HttpRequest("POST", PATH, "", {"content-type": "application/json"}, b"{}")
    fields = (1, clock.now_us(), "tts", "tts.Op", request, HttpResponse(200, {}, b""), ())
    with open(os.devnull, "w") as sink:
        handler = install(log_format, level, sink)
        try:
            best = min(
                timeit.repeat(
                    lambda: hooks.log_exchange(clock, fields, 0.0), number=CALLS, repeat=ROUNDS
                )
            )
        finally:
            uninstall(handler)
    return best / CALLS * 1e6


def main() -> None:
    figures = {
        "off": per_line("text", "off"),
        "text": per_line("text", "info"),
        "json": per_line("json", "info"),
    }
    shown = ", ".join(f"{name} {micros:.1f} us" for name, micros in figures.items())
    print(f"request log, per API call (in-process, best of {ROUNDS}): {shown}")


if __name__ == "__main__":
    main()
