"""The measurement behind docs/formatters.md's engine table: one engine per run.

    python -m benchmarks.js_engines quickjs-ng   # in a venv where that engine is installed

Each candidate is installed in a venv of its own (`quickjs` and `quickjs-ng` both install
the `quickjs` module), so the script measures whichever one `sys.argv[1]` names and prints
one JSON line: ES2015+ features that run, start-up (a fresh context plus a vendor-sized
codec), per-call cost of `encodeDownlink` with the input and output passed as JSON text,
resident memory per context, whether an endless loop is stopped and how fast, whether a huge
allocation is refused, and which host objects a script can reach.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

#: One line per feature, each an expression that is `true` where the feature works.
FEATURES = {
    "let/const": "(() => { let a = 1; const b = 2; return a + b === 3; })()",
    "arrow functions": "((a, b) => a * b)(3, 4) === 12",
    "template literals": "`${1 + 1}x` === '2x'",
    "destructuring": "(() => { const {a, b: [c]} = {a: 1, b: [2]}; return a + c === 3; })()",
    "spread/rest": "((...xs) => [...xs, 4].length)(1, 2, 3) === 4",
    "classes": "(() => { class A { constructor() { this.v = 7; } } return new A().v === 7; })()",
    "typed arrays + DataView": (
        "(() => { const u = new Uint8Array([1, 2, 3, 4]);"
        " return new DataView(u.buffer).getUint16(0) === 0x0102; })()"
    ),
    "Map/Set": "new Map([[1, 2]]).get(1) === 2 && new Set([1, 1]).size === 1",
    "JSON": "JSON.stringify(JSON.parse('{\"a\":[1]}')) === '{\"a\":[1]}'",
    "for-of": "(() => { let s = 0; for (const x of [1, 2]) s += x; return s === 3; })()",
    "exponent (ES2016)": "2 ** 10 === 1024",
    "padStart (ES2017)": "'1'.padStart(2, '0') === '01'",
    "Object.entries (ES2017)": "Object.entries({a: 1})[0][1] === 1",
    "optional chaining (ES2020)": "(() => { const o = null; return o?.x === undefined; })()",
    "BigInt (ES2020)": "(2n ** 64n).toString() === '18446744073709551616'",
}

#: A codec of the size and style vendors ship: lookup tables, bit fields, hex helpers.
CODEC = """
var COMMANDS = {reboot: 0x01, interval: 0x02, led: 0x03};
var COLORS = ['off', 'red', 'green', 'blue'];
function hex(bytes) {
  return bytes.map(function (b) { return ('0' + (b & 0xff).toString(16)).slice(-2); }).join('');
}
const toBytes16 = (v) => [(v >> 8) & 0xff, v & 0xff];
function encodeDownlink(input) {
  const {command, minutes = 0, color = 'off'} = input.data;
  if (!(command in COMMANDS)) return {errors: [`unknown command ${command}`]};
  const out = [COMMANDS[command], ...toBytes16(minutes), COLORS.indexOf(color)];
  const view = new DataView(new Uint8Array(out).buffer);
  return {bytes: out, fPort: 10 + (view.getUint8(0) & 0x0f), warnings: [hex(out)].slice(1)};
}
function decodeUplink(input) {
  const b = input.bytes;
  return {data: {battery: ((b[0] << 8) | b[1]) / 1000, open: (b[2] & 0x80) !== 0}};
}
"""
CALL = (
    "JSON.stringify(encodeDownlink(JSON.parse("
    '\'{"data":{"command":"interval","minutes":300,"color":"green"},"fPort":1}\')))'
)
HOST_OBJECTS = ("require", "process", "std", "os", "fetch", "XMLHttpRequest", "print", "load")
LOOP = "while (true) {}"
ALLOCATE = "var a = []; while (true) { a.push(new Array(1e6).fill(1)); }"


class Engine:
    """What the measurement needs of an engine: a context, eval, and the two limits."""

    name = ""

    def context(self) -> Any:
        raise NotImplementedError

    def eval(self, context: Any, code: str) -> Any:
        raise NotImplementedError

    def limited(self, context: Any, code: str, *, seconds: float, memory: int) -> str:
        """Run `code` under the limits; the error's class and text (or "no error")."""
        raise NotImplementedError


class QuickJS(Engine):
    """`quickjs` (PetterS, archived) and `quickjs-ng` share the module name and its API."""

    def __init__(self, name: str) -> None:
        import quickjs

        self.name, self.quickjs = name, quickjs

    def context(self) -> Any:
        return self.quickjs.Context()

    def eval(self, context: Any, code: str) -> Any:
        return context.eval(code)

    def limited(self, context: Any, code: str, *, seconds: float, memory: int) -> str:
        context.set_time_limit(seconds)
        context.set_memory_limit(memory)
        try:
            context.eval(code)
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        return "no error"


class MiniRacer(Engine):
    name = "mini-racer"

    def __init__(self) -> None:
        import py_mini_racer

        self.module = py_mini_racer

    def context(self) -> Any:
        return self.module.MiniRacer()

    def eval(self, context: Any, code: str) -> Any:
        return context.eval(code)

    def limited(self, context: Any, code: str, *, seconds: float, memory: int) -> str:
        try:
            context.eval(code, timeout_sec=seconds, max_memory=memory)
        except Exception as error:
            return f"{type(error).__name__}: {str(error)[:80]}"
        return "no error"


class DukPy(Engine):
    name = "dukpy"

    def __init__(self) -> None:
        import dukpy

        self.dukpy = dukpy

    def context(self) -> Any:
        return self.dukpy.JSInterpreter()

    def eval(self, context: Any, code: str) -> Any:
        return context.evaljs(code)

    def limited(self, context: Any, code: str, *, seconds: float, memory: int) -> str:
        return "no limit API (an endless loop never returns)"


def engine(name: str) -> Engine:
    if name in ("quickjs", "quickjs-ng"):
        return QuickJS(name)
    if name == "mini-racer":
        return MiniRacer()
    if name == "dukpy":
        return DukPy()
    raise SystemExit(f"unknown engine {name}")


def best_of(runs: int, action: Callable[[], Any]) -> float:
    """The fastest of `runs` timings of `action`, in microseconds."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1e6


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(js: Engine) -> dict[str, Any]:
    result: dict[str, Any] = {"engine": js.name}
    context = js.context()
    supported = []
    for feature, expression in FEATURES.items():
        try:
            if js.eval(context, expression) is True:
                supported.append(feature)
        except Exception:
            pass
    result["features"] = f"{len(supported)}/{len(FEATURES)}"
    result["missing"] = sorted(set(FEATURES) - set(supported))

    def start() -> Any:
        fresh = js.context()
        js.eval(fresh, CODEC)
        return fresh

    codec_ok = True
    try:
        warm = start()
    except Exception as error:
        codec_ok = False
        result["codec"] = f"does not compile: {str(error).splitlines()[0][:80]}"
    if codec_ok:
        result["startup_us"] = round(best_of(50, start))
        json.loads(js.eval(warm, CALL))
        calls = 2000
        started = time.perf_counter()
        for _ in range(calls):
            js.eval(warm, CALL)
        result["call_us"] = round((time.perf_counter() - started) / calls * 1e6, 1)
        before = rss_kib()
        kept = [start() for _ in range(100)]
        result["kib_per_context"] = round((rss_kib() - before) / len(kept))
    probe = js.context()
    reachable = []
    for name in HOST_OBJECTS:
        try:
            if js.eval(probe, f"typeof {name} !== 'undefined'") is True:
                reachable.append(name)
        except Exception:
            pass
    result["host_objects"] = reachable or "none"
    started = time.perf_counter()
    result["endless_loop"] = js.limited(js.context(), LOOP, seconds=0.1, memory=64 << 20)
    result["loop_stopped_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["huge_allocation"] = js.limited(js.context(), ALLOCATE, seconds=5, memory=32 << 20)
    after = js.context()
    result["serves_after"] = js.eval(after, "1 + 1") == 2
    return result


if __name__ == "__main__":
    print(json.dumps(measure(engine(sys.argv[1]))))
