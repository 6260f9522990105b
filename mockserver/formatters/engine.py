"""The JavaScript engine: one fresh QuickJS context per run, limited in CPU time and memory.

TTS builds a new goja VM for every message and runs the whole script in it before calling
the entry point (pkg/scripting/javascript), and TTN v2 did the same with otto: no state
survives from one message to the next, and one device's script never sees another's
globals. The simulator does likewise, which costs a context per run (about 0.1 ms,
docs/formatters.md) and buys isolation for free: nothing is shared between runs, devices,
threads or world resets, so no lock is needed either.

A script sees only the built-ins TTS's engine, goja, has (no `require`, `process`, files or
network, nor QuickJS's extras such as `atob`), with goja's `Math.pow`, `Date` (local time is
UTC, as where TTS runs, whatever the host's zone) and `toLocaleString`.
The time limit is QuickJS's interrupt against the process's CPU clock: an endless loop
costs at most `timeout` of CPU and the server goes on serving. The memory cap turns a huge
allocation into a JavaScript `InternalError: out of memory`.

What comes back is a *tagged* tree (see `tag` in the harness below), not plain JSON: the
networks read the script's result with Go's type rules (goja's ExportTo), which tell
`undefined` from `null`, a typed array from an object and `NaN` from a number, and JSON
would lose all of that.
"""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import quickjs

#: TTS's scripting.DefaultOptions.Timeout.
TIMEOUT = 0.1
#: Far above any codec's needs (a vendor codec with its lookup tables uses under 1 MiB).
MEMORY_LIMIT = 64 * 1024 * 1024
#: How deep the result is read: a cyclic or absurdly nested result is cut here.
MAX_DEPTH = 64
#: What the entry point gets at least when the script's top level used up the time.
_LEAST = 0.001

#: TTS's engine, goja, answers `Math.pow` with Go's `math.Pow` (after an exact path for two
#: integers, `builtin_math.go`), and Go raises to a whole power by repeated squaring of the
#: mantissa (math/pow.go), which can differ from QuickJS's libm `pow` in the last digits.
#: This is that algorithm, step for step; `frexp`/`ldexp` are Go's, bit for bit.
_GO_POW_SOURCE = """(function () {

  var view = new DataView(new ArrayBuffer(8)), abs = Math.abs, floor = Math.floor,
      exp = Math.exp, log = Math.log, sqrt = Math.sqrt, isInteger = Number.isInteger,
      bigint = BigInt, number = Number, TINY = 2.2250738585072014e-308, P52 = 4503599627370496;
  function frexp(f) {
    var e = 0;
    if (abs(f) < TINY) { f *= P52; e = -52; }
    view.setFloat64(0, f);
    var hi = view.getUint32(0);
    e += ((hi >>> 20) & 0x7ff) - 1022;
    view.setUint32(0, ((hi & 0x800fffff) | (1022 << 20)) >>> 0);
    return [view.getFloat64(0), e];
  }
  function ldexp(frac, e) {
    if (frac === 0 || frac !== frac || abs(frac) === Infinity) return frac;
    if (abs(frac) < TINY) { frac *= P52; e -= 52; }
    view.setFloat64(0, frac);
    var hi = view.getUint32(0), m = 1;
    e += ((hi >>> 20) & 0x7ff) - 1023;
    if (e < -1075) return frac < 0 ? -0 : 0;
    if (e > 1023) return frac < 0 ? -Infinity : Infinity;
    if (e < -1022) { e += 53; m = 1.1102230246251565e-16; }
    view.setUint32(0, ((hi & 0x800fffff) | ((e + 1023) << 20)) >>> 0);
    return m * view.getFloat64(0);
  }
  function isOddInt(v) { return isInteger(v) && abs(v) < 9007199254740992 && abs(v % 2) === 1; }
  function goPow(x, y) {
    if (y === 0 || x === 1) return 1;
    if (y === 1) return x;
    if (x !== x || y !== y) return NaN;
    if (x === 0) {
      if (y < 0) return isOddInt(y) && 1 / x < 0 ? -Infinity : Infinity;
      return isOddInt(y) ? x : 0;
    }
    if (abs(y) === Infinity) {
      if (x === -1) return 1;
      return (abs(x) < 1) === (y > 0) ? 0 : Infinity;
    }
    if (x === -Infinity) return goPow(1 / x, -y);
    if (x === Infinity) return y < 0 ? 0 : Infinity;
    if (y === 0.5) return sqrt(x);
    if (y === -0.5) return 1 / sqrt(x);
    var yi = floor(abs(y)), yf = abs(y) - yi, a1 = 1, ae = 0;
    if (yf !== 0 && x < 0) return NaN;
    if (yi >= 9223372036854775808) {
      if (x === -1) return 1;
      return (abs(x) < 1) === (y > 0) ? 0 : Infinity;
    }
    if (yf !== 0) {
      if (yf > 0.5) { yf--; yi++; }
      a1 = exp(yf * log(x));
    }
    var parts = frexp(x), x1 = parts[0], xe = parts[1];
    for (var i = yi; i !== 0; i = floor(i / 2)) {
      if (xe < -4096 || 4096 < xe) { ae += xe; break; }
      if (i % 2 === 1) { a1 *= x1; ae += xe; }
      x1 *= x1;
      xe *= 2;
      if (x1 < 0.5) { x1 += x1; xe--; }
    }
    if (y < 0) { a1 = 1 / a1; ae = -ae; }
    return ldexp(a1, ae);
  }
  function pow(x, y) {
    x = number(x); y = number(y);
    if (isInteger(x) && isInteger(y) && abs(x) <= 9007199254740992 && !(x === 0 && 1 / x < 0)
        && y >= 0 && y < 64) {
      if (y === 0) return 1;
      if (x === 0) return 0;
      var exact = bigint(x) ** bigint(y);
      if (exact >= -9223372036854775808n && exact < 9223372036854775808n) return number(exact);
    }
    return goPow(x, y);
  }
  return pow;
})()"""
#: The sources compiled on demand (`Math.pow`'s, the logarithms', `Date`'s text forms) are
#: handed to the prelude as arguments (a Python string becomes a JavaScript one at once): as
#: string literals in the prelude they would be lexed on every run, about 20 µs each.

#: Compiling the algorithm costs about 100 µs, more than most runs: it is compiled the first
#: time a script calls `Math.pow` (a fresh context per run, so at most once per run).
_GO_POW = """
  var goPow = null;
  Math.pow = function pow(x, y) {
    if (goPow === null) goPow = evaluate(source("pow"));
    return goPow(x, y);
  };
"""
#: goja's `Math.log`, `Math.log10` and `Math.log2` are Go's (builtin_math.go): `math.Log` is
#: FreeBSD's algorithm (log.go; the amd64 assembly computes the same steps), which differs
#: from QuickJS's libm in the last digit for about 1 argument in 80; Go's `Log10` is
#: `Log(x) * (1/Ln10)` (1 in 4 differ from libm's log10) and `Log2` splits off the exponent
#: first. Compiled the first time a script calls one of them.
_GO_LOG_SOURCE = """(function () {
  var view = new DataView(new ArrayBuffer(8)), abs = Math.abs, TINY = 2.2250738585072014e-308,
      P52 = 4503599627370496, LN2_HI = 6.93147180369123816490e-01,
      LN2_LO = 1.90821492927058770002e-10, L1 = 6.666666666666735130e-01,
      L2 = 3.999999999940941908e-01, L3 = 2.857142874366239149e-01,
      L4 = 2.222219843214978396e-01, L5 = 1.818357216161805012e-01,
      L6 = 1.531383769920937332e-01, L7 = 1.479819860511658591e-01,
      HALF_SQRT2 = 7.07106781186547524401e-01, INV_LN10 = 0.4342944819032518,
      INV_LN2 = 1.4426950408889634;  // Go's 1/Ln10 and 1/Ln2: exact, then rounded
  function frexp(f, raw) {
    var e = 0;
    if (!raw && abs(f) < TINY) { f *= P52; e = -52; }
    view.setFloat64(0, f);
    var hi = view.getUint32(0);
    e += ((hi >>> 20) & 0x7ff) - 1022;
    view.setUint32(0, ((hi & 0x800fffff) | (1022 << 20)) >>> 0);
    return [view.getFloat64(0), e];
  }
  function log(x) {
    x = +x;
    if (x !== x || x === Infinity) return x;
    if (x < 0) return NaN;
    if (x === 0) return -Infinity;
    // amd64's assembly splits the bits as they are: a subnormal is not normalized first
    var parts = frexp(x, true), f1 = parts[0], ki = parts[1];
    if (f1 < HALF_SQRT2) { f1 *= 2; ki--; }
    var f = f1 - 1, k = ki, s = f / (2 + f), s2 = s * s, s4 = s2 * s2,
        t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7))),
        t2 = s4 * (L2 + s4 * (L4 + s4 * L6)), r = t1 + t2, hfsq = 0.5 * f * f;
    return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
  }
  function log10(x) { return log(x) * INV_LN10; }
  function log2(x) {
    x = +x;
    if (x !== x || x === Infinity || x <= 0) return log(x);
    var parts = frexp(x);
    if (parts[0] === 0.5) return parts[1] - 1;
    return log(parts[0]) * INV_LN2 + parts[1];
  }
  return {log: log, log10: log10, log2: log2};
})()"""
_GO_LOG = """
  var goLog = null;
  function goLogs() {
    if (goLog === null) goLog = evaluate(source("log"));
    return goLog;
  }
  Math.log = function log(x) { return goLogs().log(x); };
  Math.log10 = function log10(x) { return goLogs().log10(x); };
  Math.log2 = function log2(x) { return goLogs().log2(x); };
"""
#: goja's Date as TTS runs it: Go's `time.Local`, which is UTC where TTS runs, and Go's
#: layouts for the text forms (builtin_date.go, date.go): `toString` is
#: "Tue Jan 02 2024 03:04:05 GMT+0000 (UTC)", `toLocaleString` "01/02/2024, 03:04:05" (24 h,
#: no AM/PM), `toLocaleTimeString` "03:04:05". QuickJS uses the host's zone instead (a
#: script's `getHours()` would depend on the machine) and its own layouts. `local()` makes
#: local time UTC on a host that is not (the getters, setters, the Date constructor with
#: parts, and text without a zone); on a UTC host there is nothing to change.
_GOJA_DATE_SOURCE = """(function () {
  var O = Date, proto = O.prototype, getTime = proto.getTime, offset = proto.getTimezoneOffset,
      parse = O.parse, UTC = O.UTC, now = O.now, construct = Reflect.construct,
      DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
      MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec"],
      ZONED = /(?:Z|[+-]\\d\\d(?::?\\d\\d)?|GMT|UTC|UT)\\s*(?:\\([^)]*\\))?$/i,
      DATE_ONLY = /^[+-]?\\d{4,6}(?:-\\d\\d(?:-\\d\\d)?)?$/;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function year(d) {
    var y = d.getUTCFullYear(), a = y < 0 ? -y : y;
    return (y < 0 ? "-" : "") + (a < 10 ? "000" : a < 100 ? "00" : a < 1000 ? "0" : "") + a;
  }
  function time(d) {
    return two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds());
  }
  function day(d) {
    return DAYS[d.getUTCDay()] + " " + MONTHS[d.getUTCMonth()] + " " + two(d.getUTCDate()) +
      " " + year(d);
  }
  function numeric(d) {
    return two(d.getUTCMonth() + 1) + "/" + two(d.getUTCDate()) + "/" + year(d);
  }
  function text(layout) {
    return function () {
      var t = getTime.call(this);
      return t !== t ? "Invalid Date" : layout(this);
    };
  }
  function utcParse(s) {
    s = String(s);
    var t = parse(s), trimmed = s.trim();
    if (t === t && !ZONED.test(trimmed) && !DATE_ONLY.test(trimmed)) {
      t -= offset.call(new O(t)) * 60000;
    }
    return t;
  }
  function local() {
    ["FullYear", "Month", "Date", "Day", "Hours", "Minutes", "Seconds", "Milliseconds"]
      .forEach(function (part) {
        proto["get" + part] = proto["getUTC" + part];
        if (part !== "Day") proto["set" + part] = proto["setUTC" + part];
      });
    proto.getTimezoneOffset = function getTimezoneOffset() {
      var t = getTime.call(this);
      return t !== t ? NaN : 0;
    };
    function Date(a, b, c, d, e, f, g) {
      if (new.target === undefined) return fix.toString.call(new O(now()));
      var n = arguments.length, t;
      if (n === 0) t = now();
      else if (n === 1) t = typeof a === "string" ? utcParse(a) : getTime.call(new O(a));
      else t = UTC.apply(undefined, arguments);
      return construct(O, [t], new.target);
    }
    Date.prototype = proto;
    Date.UTC = UTC;
    Date.now = now;
    Date.parse = function parse(s) { return utcParse(s); };
    Object.defineProperty(proto, "constructor", {value: Date, writable: true, configurable: true});
    globalThis.Date = Date;
  }
  var fix = {
    toString: text(function (d) { return day(d) + " " + time(d) + " GMT+0000 (UTC)"; }),
    toDateString: text(day),
    toTimeString: text(function (d) { return time(d) + " GMT+0000 (UTC)"; }),
    toLocaleString: text(function (d) { return numeric(d) + ", " + time(d); }),
    toLocaleDateString: text(numeric),
    toLocaleTimeString: text(time),
    local: local
  };
  return fix;
})()"""
#: The text forms are compiled the first time a script calls one (as `Math.pow`); local time
#: is fixed up front only on a host whose zone is not UTC (never where TTS runs): `{local}`.
_GOJA_DATE = """
  var gojaDate = null, dateProto = Date.prototype;
  function goDate() {
    if (gojaDate === null) gojaDate = evaluate(source("date"));
    return gojaDate;
  }
  ["toString", "toDateString", "toTimeString", "toLocaleString", "toLocaleDateString",
   "toLocaleTimeString"].forEach(function (name) {
    dateProto[name] = function () { return goDate()[name].call(this); };
  });
  {local}
"""


def _host_is_utc() -> bool:
    """Whether local time is UTC here, in winter and in summer (libc's view, which QuickJS
    shares; asked per run, so a TZ changed at run time is seen)."""
    return time.localtime(0).tm_gmtoff == 0 and time.localtime(15_552_000).tm_gmtoff == 0


#: goja's global object (builtin_global.go, builtin_typedarrays.go): what QuickJS has beyond
#: it is taken away, so that a script that leans on `atob`, `performance`, `WeakRef` or the
#: like fails here as it fails in TTS (a ReferenceError), and `typeof atob` says so.
_GOJA_GLOBAL_NAMES = """Object Function Array String Number BigInt RegExp Date Boolean Proxy
    Reflect Error AggregateError TypeError ReferenceError SyntaxError RangeError EvalError
    URIError eval Math JSON Symbol WeakSet WeakMap Map Set Promise globalThis NaN undefined
    Infinity isNaN parseInt parseFloat isFinite decodeURI decodeURIComponent encodeURI
    encodeURIComponent escape unescape ArrayBuffer DataView Uint8Array Uint8ClampedArray
    Int8Array Uint16Array Int16Array Uint32Array Int32Array Float32Array Float64Array
    BigInt64Array BigUint64Array"""
_GOJA_GLOBALS = frozenset(_GOJA_GLOBAL_NAMES.split())


def _beyond_goja() -> list[str]:
    context = quickjs.Context()
    names = str(context.eval("Object.getOwnPropertyNames(globalThis).join(' ')")).split()
    return sorted(set(names) - _GOJA_GLOBALS)


#: goja's `toLocaleString` of a number is its `toString` (a radix, not a locale: a locale
#: argument is a RangeError there); its Date forms are above.
_GOJA_GLOBAL_OBJECT = f"""
  var beyond = {json.dumps(_beyond_goja())};
  for (var b = 0; b < beyond.length; b++) delete globalThis[beyond[b]];
  Number.prototype.toLocaleString = Number.prototype.toString;
"""
#: Evaluated in each fresh context before the script, then called with the on-demand sources
#: (`_SOURCES`): it takes the built-ins it needs (a script that replaces `JSON` or
#: `Object.keys` only changes what it sees itself), gives `Math.pow`, the logarithms, `Date`
#: and the global object goja's behaviour (the `/*part*/` markers, `_PARTS`), and returns the
#: function that calls the entry point and hands back what happened as JSON text. It leaves
#: no global behind.
_PRELUDE = f"""
(function (powSource, logSource, dateSource) {{
  var sources = {{pow: powSource, log: logSource, date: dateSource}},
      parse = JSON.parse, stringify = JSON.stringify, keys = Object.keys,
      isArray = Array.isArray, isView = ArrayBuffer.isView, from = Array.from,
      str = String, isFinite_ = isFinite, global = globalThis, max = {MAX_DEPTH},
      evaluate = eval;
  function source(name) {{ return sources[name]; }}
  /*pow*/
  /*log*/
  /*date*/
  /*globals*/
  function describe(e) {{
    var text;
    try {{ text = str(e); }} catch (ignored) {{ text = "[exception]"; }}
    var stack = "";
    try {{
      if (e !== null && typeof e === "object" && typeof e.stack === "string") stack = e.stack;
    }} catch (ignored) {{}}
    return {{text: text, stack: stack}};
  }}
  function tag(v, depth) {{
    if (depth > max) return ["u"];
    if (v === undefined) return ["u"];
    if (v === null) return ["n"];
    var t = typeof v;
    if (t === "boolean") return ["b", v];
    if (t === "number") return isFinite_(v) ? ["d", v] : ["d", str(v)];
    if (t === "string") return ["s", v];
    if (t === "bigint") return ["i", str(v)];
    if (t === "function") return ["f"];
    if (t === "symbol") return ["y"];
    if (isView(v) && !(v instanceof DataView)) {{
      return ["t", from(v, function (x) {{ return typeof x === "bigint" ? str(x) : x; }})];
    }}
    if (isArray(v)) {{
      var items = [];
      for (var i = 0; i < v.length; i++) items.push(tag(v[i], depth + 1));
      return ["a", items];
    }}
    if (v instanceof Date) return ["D", v.getTime()];
    var names = keys(v), fields = [];
    for (var k = 0; k < names.length; k++) fields.push([names[k], tag(v[names[k]], depth + 1)]);
    return ["o", fields];
  }}
  return function (job) {{
    job = parse(job);
    var entry = global[job.entry];
    if (typeof entry !== "function") return stringify({{stage: "entrypoint"}});
    var output;
    try {{ output = entry.apply(undefined, job.args); }}
    catch (e) {{ return stringify({{stage: "call", error: describe(e)}}); }}
    return stringify({{stage: "done", value: tag(output, 0)}});
  }};
}})
"""
_SOURCES = {"pow": _GO_POW_SOURCE, "log": _GO_LOG_SOURCE, "date": _GOJA_DATE_SOURCE}
#: The prelude's parts that give goja's behaviour, each with the names a script must contain
#: to reach what it changes. Each part costs 10 to 35 µs a run (compiling it, and changing a
#: built-in object's shape), so a run carries only the parts its script can reach: a script
#: cannot call `Math.log` or a Date's `toLocaleString`, nor name `atob`, without the name in
#: its text (`recvTime` is the Date TTS hands a decoder).
_PARTS = {
    "pow": (_GO_POW, ("pow",)),
    "log": (_GO_LOG, ("log",)),
    "date": (_GOJA_DATE, ("Date", "recvTime")),
    "globals": (_GOJA_GLOBAL_OBJECT, ("toLocaleString", "globalThis", *_beyond_goja())),
}


@functools.lru_cache(maxsize=256)
def _parts_for(script: str) -> frozenset[str]:
    return frozenset(
        name for name, (_, names) in _PARTS.items() if any(word in script for word in names)
    )


@functools.lru_cache(maxsize=64)
def _prelude(parts: frozenset[str], utc: bool) -> str:
    """The prelude with `parts`, for a host whose local time is UTC (or not)."""
    text = _PRELUDE
    for name, (part, _) in _PARTS.items():
        text = text.replace(f"/*{name}*/", part if name in parts else "")
    return text.replace("{local}", "" if utc else "goDate().local();")


_ALL_PARTS = frozenset(_PARTS)
_FRAME = re.compile(r"^\s*at (?:(?P<function>[^(]+?) \()?<input>:(?P<line>\d+):(?P<column>\d+)\)?")


class CompileError(ValueError):
    """The script does not parse: the engine's message and where (1-based line:column)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}:{column})")
        self.message, self.line, self.column = message, line, column


@dataclass(frozen=True)
class Frame:
    """Where an exception was raised: the innermost frame in the script's own code."""

    function: str  # QuickJS's name: "<eval>" at the top level, "" for the parser
    line: int
    column: int


@dataclass(frozen=True)
class Outcome:
    """What one run did.

    `stage` is `done` (the entry point returned `value`, a tagged tree), `script` (the
    script's top level threw), `call` (the entry point threw), `entrypoint` (no function of
    that name), `timeout` (the time limit interrupted it) or `memory` (the cap was hit
    outside any JavaScript `try`).
    """

    stage: str
    value: Any = None
    text: str = ""
    frame: Frame | None = None
    #: The script itself does not parse (not a SyntaxError thrown while it runs, such as
    #: JSON.parse's or a nested eval's).
    unparsable: bool = False


class _Seen:
    """Whether this process has met a script yet: `scripts_seen()`."""

    scripts = False


def scripts_seen() -> bool:
    """True once any script has been checked (set in a world, by `server.formatters`, by
    the admin API: all check it first) or run in this process. The serving shell hands
    calls into a simulator to a thread of their own only from then on: a world without
    scripts pays no thread hop per request (about 100 µs of CPU served, issue 21)."""
    return _Seen.scripts


def expect_scripts() -> None:
    """A script is about to be run that nothing has checked yet (one a request brings)."""
    _Seen.scripts = True


def run(
    source: str, entry: str, *args: Any, timeout: float = TIMEOUT, script: str | None = None
) -> Outcome:
    """Run `source` in a fresh context as ordinary global code (as goja's RunString does:
    its functions become globals even under `'use strict'`), then `entry(*args)`; `args`
    are JSON values. Both share one `timeout` of CPU time, as TTS's run does. `script`, the
    user's part of `source`, decides which of goja's behaviours the run needs (all of them
    when None)."""
    _Seen.scripts = True
    context = quickjs.Context()
    context.set_memory_limit(MEMORY_LIMIT)
    context.set_time_limit(timeout)
    parts = _ALL_PARTS if script is None else _parts_for(script)
    started = time.process_time()
    try:
        finish = context.eval(_prelude(parts, _host_is_utc()))(*_SOURCES.values())
        try:
            context.eval(source)
        except quickjs.JSException as exception:
            return _thrown(str(exception))
        context.set_time_limit(max(timeout - (time.process_time() - started), _LEAST))
        report = json.loads(finish(json.dumps({"entry": entry, "args": list(args)})))
    except quickjs.JSException as exception:
        outcome = _fatal(str(exception))
        if outcome is None:
            raise  # an exception of the harness itself: a bug here, not in the script
        return outcome
    except quickjs.StackOverflow:
        return Outcome("call", text="RangeError: Maximum call stack size exceeded")
    finally:
        del context
    error = report.get("error")
    if error is None:
        return Outcome(report["stage"], value=report.get("value"))
    return Outcome(report["stage"], text=error["text"], frame=_frame(error["stack"]))


def _fatal(text: str) -> Outcome | None:
    """The limits' own exceptions (QuickJS's InternalError: a script cannot make one)."""
    first = text.split("\n", 1)[0]
    if first == "InternalError: interrupted":
        return Outcome("timeout", text="interrupted")
    if first.startswith("InternalError") and "out of memory" in first:
        return Outcome("memory", text="InternalError: out of memory")
    return None


def _thrown(report: str) -> Outcome:
    """What the script's top level threw, from QuickJS's report: the value as a string,
    a newline, then its stack (`undefined` for a value without one)."""
    fatal = _fatal(report)
    if fatal is not None:
        return fatal
    lines = report.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    first_frame = len(lines)
    while first_frame > 1 and lines[first_frame - 1].startswith("    at "):
        first_frame -= 1
    frames = lines[first_frame:]
    if not frames and len(lines) > 1 and lines[-1] == "undefined":
        lines.pop()
    text = "\n".join(lines[:first_frame])
    # The parser's report has one frame, the source position, and no function: nothing ran.
    match = _FRAME.match(frames[0]) if len(frames) == 1 else None
    unparsable = text.startswith("SyntaxError") and match is not None
    unparsable = unparsable and not (match and match.group("function"))
    stack = "\n".join(frames)
    return Outcome("script", text=text, frame=_frame(stack), unparsable=unparsable)


def check(source: str, name: str = "script") -> None:
    """CompileError unless `source` parses as a script.

    The script's top level runs once, in a context of its own, under the usual limits: what
    the engine reports *while parsing* (a SyntaxError whose frame is the source itself, not
    a function) refuses it; whatever the top level does at run time is left to the run, as
    the networks leave it.
    """
    outcome = run(source, "\0no entry point")
    frame = outcome.frame
    if outcome.stage == "script" and outcome.unparsable and frame is not None:
        raise CompileError(f"{name}: {outcome.text}", frame.line, frame.column)


def _frame(stack: str) -> Frame | None:
    for line in stack.splitlines():
        match = _FRAME.match(line)
        if match:
            function = match.group("function") or ""
            return Frame(function, int(match["line"]), int(match["column"]))
    return None
