"""The engine's guarantees: only ECMAScript built-ins, no state between runs, a CPU-time
limit that stops an endless loop, a memory cap, and parse errors with line:column."""

from __future__ import annotations

import pytest

from mockserver.formatters import engine


def test_a_script_sees_no_host_objects():
    probe = "function f() { return [typeof require, typeof process, typeof std, typeof os]; }"
    assert engine.run(probe, "f").value == ["a", [["s", "undefined"]] * 4]


def test_no_global_survives_from_one_run_to_the_next():
    counter = "var calls = (globalThis.calls || 0) + 1; function f() { return calls; }"
    assert [engine.run(counter, "f").value for _ in range(2)] == [["d", 1], ["d", 1]]


def test_an_endless_loop_costs_the_limit_and_the_next_run_works():
    assert engine.run("function f() { while (true) {} }", "f", timeout=0.02).stage == "timeout"
    assert engine.run("function f() { return 2; }", "f").value == ["d", 2]


def test_a_huge_allocation_hits_the_cap():
    outcome = engine.run("function f() { return new Array(5e7).fill(1).length; }", "f")
    assert (outcome.stage, outcome.text) == ("call", "InternalError: out of memory")


def test_parse_errors_name_line_and_column_and_runtime_ones_are_left_to_the_run():
    with pytest.raises(engine.CompileError) as refused:
        engine.check("var a = 1;\nvar b = ;\n", "codec.js")
    assert (refused.value.line, refused.value.column) == (2, 9)
    engine.check("var parsed = JSON.parse('{');")  # a SyntaxError, but thrown while running
    engine.check("eval('1 +');")
