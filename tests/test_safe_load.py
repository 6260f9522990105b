"""Documents a user hands in are read within bounds: a YAML alias bomb, deep nesting or a huge
file is refused with its place, quickly, and without being expanded in memory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from mockserver import json_strict
from mockserver.safe_load import (
    DocumentLimits,
    LimitExceeded,
    YamlLimitExceeded,
    check_value,
    clip,
    excerpt,
    limits_applied,
    load_json,
    load_yaml,
    read_file,
)

#: The classic "billion laughs": nine levels of nine aliases, 9**9 strings once expanded.
BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
#: Generous for a loaded machine: the refusal takes about a millisecond (docs/reliability.md).
QUICKLY = 2.0


def test_the_billion_laughs_is_refused_where_it_passes_the_value_limit_without_expanding():
    started = time.perf_counter()
    with pytest.raises(YamlLimitExceeded) as refused:
        load_yaml(BILLION_LAUGHS)
    assert time.perf_counter() - started < QUICKLY
    # the second *e of f passes the 200 000 values of the default limit (each e: 66 430)
    assert refused.value.where("bomb.yaml") == "bomb.yaml:6:11"
    assert "expands to more than 200000 values" in str(refused.value)
    assert "--max-document-nodes" in str(refused.value)


def test_a_smaller_value_limit_stops_the_bomb_earlier():
    with pytest.raises(YamlLimitExceeded) as refused:
        load_yaml(BILLION_LAUGHS, DocumentLimits(max_nodes=1000))
    assert refused.value.where("x") == "x:4:8"  # the third *c of d


def test_aliases_within_the_limits_load_as_yaml_safe_load_loads_them():
    text = "base: &base {band: EU_863_870, tags: [a, b]}\none: *base\ntwo: *base\nwhen: 2026-01-01"
    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml("") is None


def test_scalar_text_expanded_by_aliases_counts_against_the_size_limit():
    text = "a: &a " + "x" * 1000 + "\nb: [" + ", ".join(["*a"] * 20) + "]\n"
    assert load_yaml(text, DocumentLimits(max_bytes=50_000))["b"][0] == "x" * 1000
    with pytest.raises(YamlLimitExceeded) as refused:
        load_yaml(text, DocumentLimits(max_bytes=10_000))
    assert "of text" in str(refused.value)
    assert refused.value.where("x") == "x:2:37"  # the ninth *a


@pytest.mark.parametrize(
    "text, where",
    [
        ("[" * 65 + "]" * 65, "x:1:65"),
        ("".join(f"{'  ' * i}k{i}:\n" for i in range(70)), "x:64:127"),
        ("[" * 5000 + "]" * 5000, "x:1:1001"),  # libyaml's own limit, told as ours
    ],
    ids=["flow", "block", "past libyaml's limit"],
)
def test_nesting_past_the_depth_limit_is_refused_with_its_place(text, where):
    started = time.perf_counter()
    with pytest.raises(YamlLimitExceeded) as refused:
        load_yaml(text)
    assert time.perf_counter() - started < QUICKLY
    assert refused.value.where("x") == where
    assert "nests deeper than 64 levels" in str(refused.value)


def test_an_alias_adds_its_depth_where_it_is_used():
    text = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30
    assert load_yaml(text, DocumentLimits(max_depth=100)) is not None
    with pytest.raises(YamlLimitExceeded) as refused:
        load_yaml(text)
    assert refused.value.where("x") == "x:2:34"


def test_an_alias_inside_the_node_it_names_is_refused():
    with pytest.raises(YamlLimitExceeded, match="refers to a node that contains it"):
        load_yaml("a: &a [1, *a]")


def test_a_file_is_read_no_further_than_the_size_limit(tmp_path: Path):
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 5000)
    assert read_file(path, "big.yaml", DocumentLimits(max_bytes=5003)).startswith("a: x")
    with pytest.raises(LimitExceeded) as refused:
        read_file(path, "big.yaml", DocumentLimits(max_bytes=4096))
    assert str(refused.value).startswith("big.yaml: the file is larger than 4 KiB")
    with limits_applied(DocumentLimits(max_bytes=1000)), pytest.raises(LimitExceeded):
        read_file(path, "big.yaml")  # the limits in force


def test_json_is_read_as_python_reads_it_but_no_deeper_than_json_strict_allows():
    assert load_json(b'{"seconds": Infinity}') == {"seconds": float("inf")}
    assert load_json('{"a": 1}'.encode("utf-16")) == {"a": 1}
    deep = b"[" * (json_strict.MAX_DEPTH + 1) + b"]" * (json_strict.MAX_DEPTH + 1)
    with pytest.raises(json_strict.TooDeepError):
        load_json(deep)


def test_a_value_from_json_is_held_to_the_same_value_and_depth_limits():
    check_value({"a": [1, 2, {"b": "c"}]}, "x")
    with pytest.raises(LimitExceeded, match="nests deeper than 3 levels"):
        check_value({"a": [[1]]}, "x", DocumentLimits(max_depth=3))
    with pytest.raises(LimitExceeded, match="more than 10 values"):
        check_value(list(range(10)), "x", DocumentLimits(max_nodes=10))


def test_errors_quote_only_an_excerpt():
    huge = "x" * 10_000_000
    assert len(excerpt(huge)) < 130
    assert len(excerpt({"a": [huge] * 1000})) < 600
    message = clip("place: " + huge + " is not allowed")
    assert len(message) <= 1000
    assert message.startswith("place: xxx")
    assert message.endswith("xxx is not allowed")


def test_limits_are_whole_numbers_of_one_or_more():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            DocumentLimits(max_nodes=bad)  # type: ignore[arg-type]


def test_pyyaml_without_libyaml_reads_within_the_same_limits(monkeypatch):
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    text = "base: &base {band: EU_863_870, tags: [a, b]}\none: *base\n"
    assert load_yaml(text) == yaml.safe_load(text)
    with pytest.raises(YamlLimitExceeded) as refused:
        load_yaml(BILLION_LAUGHS)
    assert refused.value.where("bomb.yaml") == "bomb.yaml:6:11"
    with pytest.raises(YamlLimitExceeded, match="nests deeper than 64 levels"):
        load_yaml("[" * 5000 + "]" * 5000)
