"""The JavaScript engine: one fresh QuickJS context per run, limited in CPU time and memory.

TTS builds a new goja VM for every message and runs the whole script in it before calling
the entry point (pkg/scripting/javascript), and TTN v2 did the same with otto: no state
survives from one message to the next, and one device's script never sees another's
globals. The simulator does likewise, which costs a context per run (about 0.1 ms,
docs/formatters.md) and buys isolation for free: nothing is shared between runs, devices,
threads or world resets, so no lock is needed either.

A script sees only the ECMAScript built-ins (no `require`, `process`, files or network).
The time limit is QuickJS's interrupt against the process's CPU clock: an endless loop
costs at most `timeout` of CPU and the server goes on serving. The memory cap turns a huge
allocation into a JavaScript `InternalError: out of memory`.

What comes back is a *tagged* tree (see `tag` in the harness below), not plain JSON: the
networks read the script's result with Go's type rules (goja's ExportTo), which tell
`undefined` from `null`, a typed array from an object and `NaN` from a number, and JSON
would lose all of that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import quickjs

#: TTS's scripting.DefaultOptions.Timeout.
TIMEOUT = 0.1
#: Far above any codec's needs (a vendor codec with its lookup tables uses under 1 MiB).
MEMORY_LIMIT = 64 * 1024 * 1024
#: How deep the result is read: a cyclic or absurdly nested result is cut here.
MAX_DEPTH = 64

_JOB = "__mockserver_job__"
#: Runs the script in the global scope, then the entry point, and hands back what happened
#: as JSON text. The built-ins it needs are taken before the script runs, so a script that
#: replaces `JSON` or `Object.keys` only changes what it sees itself.
_HARNESS = f"""
(function (job) {{
  delete globalThis.{_JOB};
  var parse = JSON.parse, stringify = JSON.stringify, keys = Object.keys,
      isArray = Array.isArray, isView = ArrayBuffer.isView, from = Array.from,
      str = String, indirectEval = eval, isFinite_ = isFinite, max = {MAX_DEPTH};
  job = parse(job);
  function describe(e) {{
    var text;
    try {{ text = str(e); }} catch (ignored) {{ text = "[exception]"; }}
    var stack = "";
    try {{
      if (e !== null && typeof e === "object" && typeof e.stack === "string") stack = e.stack;
    }} catch (ignored) {{}}
    return {{text: text, stack: stack, syntax: e instanceof SyntaxError}};
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
  try {{ indirectEval(job.source); }}
  catch (e) {{ return stringify({{stage: "script", error: describe(e)}}); }}
  var entry = globalThis[job.entry];
  if (typeof entry !== "function") return stringify({{stage: "entrypoint"}});
  var output;
  try {{ output = entry.apply(undefined, job.args); }}
  catch (e) {{ return stringify({{stage: "call", error: describe(e)}}); }}
  return stringify({{stage: "done", value: tag(output, 0)}});
}})(globalThis.{_JOB})
"""
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


def run(source: str, entry: str, *args: Any, timeout: float = TIMEOUT) -> Outcome:
    """Run `source` in a fresh context, then `entry(*args)`; `args` are JSON values."""
    _Seen.scripts = True
    context = quickjs.Context()
    context.set_memory_limit(MEMORY_LIMIT)
    context.set_time_limit(timeout)
    context.set(_JOB, json.dumps({"source": source, "entry": entry, "args": list(args)}))
    try:
        report = json.loads(context.eval(_HARNESS))
    except quickjs.JSException as exception:
        text = str(exception)
        if "interrupted" in text.split("\n", 1)[0]:
            return Outcome("timeout", text="interrupted")
        if "out of memory" in text:
            return Outcome("memory", text="InternalError: out of memory")
        raise  # an exception of the harness itself: a bug here, not in the script
    except quickjs.StackOverflow:
        return Outcome("call", text="RangeError: Maximum call stack size exceeded")
    finally:
        del context
    error = report.get("error")
    if error is None:
        return Outcome(report["stage"], value=report.get("value"))
    frames = [frame.strip() for frame in error["stack"].strip().splitlines()]
    # The parser's own frame right on the harness's (only) indirect eval: nothing ran yet.
    unparsable = (
        error["syntax"]
        and len(frames) > 1
        and frames[1] == "at eval (native)"
        and frames.count("at eval (native)") == 1
    )
    return Outcome(
        report["stage"], text=error["text"], frame=_frame(error["stack"]), unparsable=unparsable
    )


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
