"""Reading documents a user hands in (world and scenario files, admin bodies) within bounds.

A YAML document can be small and still unbounded: a "billion laughs" of a few hundred bytes
names a list nine times in a list, that list nine times, and so on, and stands for 9**9
strings. PyYAML's constructor shares the aliased objects, so the load itself stays small;
what blows up is everything after it that walks the value (schema checks, the scenario's
positions, a JSON answer). So the bound is put where the document is composed:
`BoundedLoader` memoises, for each node, how many values, how many characters of scalars
and how many levels it stands for once every alias is expanded, keeps the document's running
totals, and refuses it at the first node (or alias) that passes a limit, with its line and
column. Nothing is ever expanded in memory; an alias costs a dictionary lookup.

Bytes are bounded before any parsing: a file is read up to the limit and one byte more, and
an admin body is counted as it arrives (`mockserver.admin.limits`). Errors quote at most a
short excerpt of what they refuse (`excerpt`, `clip`): a refusal never echoes the input.

The limits in force are a context variable, so that loaders deep in the scenario and world
code use the limits of the server (or command) they run for without each call passing them:
`MockServer(document_limits=...)` and the CLI's `--max-document-*` options set them.
"""

from __future__ import annotations

import json
import reprlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from mockserver import json_strict
from mockserver.defaults import DOCUMENT_MAX_BYTES as DOCUMENT_MAX_BYTES
from mockserver.defaults import DOCUMENT_MAX_DEPTH as DOCUMENT_MAX_DEPTH
from mockserver.defaults import DOCUMENT_MAX_NODES as DOCUMENT_MAX_NODES
from mockserver.defaults import MIB as MIB
from mockserver.defaults import size_text as size_text


@dataclass(frozen=True)
class DocumentLimits:
    """How big a document a user hands in may be. `max_bytes` bounds the text read (a file,
    an admin body) and the scalar text it expands to; `max_nodes` the values it expands to,
    every alias counted at its full size; `max_depth` how deeply they nest."""

    max_bytes: int = DOCUMENT_MAX_BYTES
    max_nodes: int = DOCUMENT_MAX_NODES
    max_depth: int = DOCUMENT_MAX_DEPTH

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_nodes", "max_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of 1 or more, not {value!r}")


DEFAULT_LIMITS = DocumentLimits()
_LIMITS: ContextVar[DocumentLimits] = ContextVar("document_limits", default=DEFAULT_LIMITS)


def current_limits() -> DocumentLimits:
    """The limits of the server or command this code runs for (the defaults otherwise)."""
    return _LIMITS.get()


@contextmanager
def limits_applied(limits: DocumentLimits | None) -> Iterator[DocumentLimits]:
    """Within the block, documents are read with `limits` (None: those already in force)."""
    if limits is None:
        yield current_limits()
        return
    token = _LIMITS.set(limits)
    try:
        yield limits
    finally:
        _LIMITS.reset(token)


class LimitExceeded(ValueError):
    """A document passes one of the limits: HTTP 413, exit status 2 for the command. The
    message says where (origin, and line:column when known), which limit, and its value."""

    status = 413


def too_many_bytes(origin: str, limits: DocumentLimits, what: str) -> LimitExceeded:
    return LimitExceeded(
        f"{origin}: {what} is larger than {size_text(limits.max_bytes)}, the limit on a "
        "document handed to mockserver (--max-document-size, or "
        "MockServer(document_limits=DocumentLimits(max_bytes=...)))"
    )


def read_file(path: str | Path, origin: str, limits: DocumentLimits | None = None) -> str:
    """A world or scenario file's text, read no further than the size limit. OSError and
    UnicodeDecodeError are the caller's to word; LimitExceeded when the file is too large."""
    limits = limits or current_limits()
    with open(path, "rb") as file:
        data = file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise too_many_bytes(origin, limits, "the file")
    return data.decode("utf-8")


# -- YAML --------------------------------------------------------------------------------
class _BoundedComposer(Composer):
    """PyYAML's composer, counting as it goes what each node expands to: (nodes, scalar
    characters, levels), memoised per node, so an alias adds its anchor's totals in one
    step. The first node past a limit stops the composition."""

    def __init__(self, limits: DocumentLimits) -> None:
        super().__init__()
        self.limits = limits
        self._sizes: dict[int, tuple[int, int, int]] = {}
        self._depth = 0
        #: Values and scalar text of the document so far, aliases expanded: a large flat
        #: document is refused where it passes a limit, not once it is all composed.
        self._values = 0
        self._text = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # the parser's
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:  # the alias stands inside the node it names: endless
                raise self._refusal(
                    event.start_mark, "an alias refers to a node that contains it (endless)"
                )
            if self._depth + size[2] > self.limits.max_depth:
                raise self._refusal(event.start_mark, self._depth_problem())
            self._count(size[0], size[1], event.start_mark)
            return node
        if self._depth >= self.limits.max_depth:
            raise self._refusal(event.start_mark, self._depth_problem())
        self._count(1, len(getattr(event, "value", "")), event.start_mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:  # pragma: no cover  # only an alias node can be missing
            return None
        self._sizes[id(node)] = self._size(node)
        return node

    def _count(self, values: int, text: int, mark: Any) -> None:
        """Add a node (or all an alias stands for) to the document's totals; refuse at the
        node that passes a limit."""
        self._values += values
        self._text += text
        if self._values & 0xFF == 0:
            # Every 256 values, let other threads have the GIL (the event loop's, when an
            # admin route reads a large document on a worker thread): costs microseconds.
            time.sleep(0)
        if self._values > self.limits.max_nodes:
            raise self._refusal(
                mark,
                f"the document expands to more than {self.limits.max_nodes} values (aliases "
                "counted at their full size), the limit on a document (--max-document-nodes)",
            )
        if self._text > self.limits.max_bytes:
            raise self._refusal(
                mark,
                f"the document expands to more than {size_text(self.limits.max_bytes)} of "
                "text (aliases counted at their full size), the limit on a document "
                "(--max-document-size)",
            )

    def _size(self, node: Node) -> tuple[int, int, int]:
        if isinstance(node, ScalarNode):
            return 1, len(node.value), 1
        if isinstance(node, SequenceNode):
            children = [self._sizes[id(item)] for item in node.value]
        elif isinstance(node, MappingNode):
            children = [self._sizes[id(part)] for pair in node.value for part in pair]
        else:  # pragma: no cover  # PyYAML has no other kind of node
            return 1, 0, 1
        return (
            1 + sum(size[0] for size in children),
            sum(size[1] for size in children),
            1 + max((size[2] for size in children), default=0),
        )

    def _depth_problem(self) -> str:
        return (
            f"the document nests deeper than {self.limits.max_depth} levels, the limit on a "
            "document (--max-document-depth)"
        )

    def _refusal(self, mark: Any, problem: str) -> YamlLimitExceeded:
        return YamlLimitExceeded(mark, problem)


class YamlLimitExceeded(yaml.MarkedYAMLError, LimitExceeded):
    """A YAML document passes a limit at `problem_mark` (0-based line and column)."""

    def __init__(self, mark: Any, problem: str) -> None:
        yaml.MarkedYAMLError.__init__(self, problem=problem, problem_mark=mark)
        ValueError.__init__(self, problem)

    def where(self, origin: str) -> str:
        mark = self.problem_mark
        return f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin

    def __str__(self) -> str:
        return str(self.problem)


class BoundedLoader(_BoundedComposer, SafeConstructor, Resolver):
    """yaml.SafeLoader's behaviour (safe tags only), within `limits`; `bounded_loader`
    gives one with a parser (libyaml's when PyYAML has it)."""

    def get_single_node(self) -> Node | None:
        """The document's node; libyaml's own nesting limit (1000 levels, hit while it scans
        ahead, before this composer counts) is told as this one's depth limit."""
        try:
            return super().get_single_node()
        except yaml.MarkedYAMLError as error:
            if isinstance(error, LimitExceeded) or "nesting depth" not in str(error.problem):
                raise
            raise YamlLimitExceeded(error.problem_mark, self._depth_problem()) from None

    def load_single(self) -> Any:
        """The one document of the text (None when empty), as yaml.safe_load gives it."""
        try:
            return self.get_single_data()
        finally:
            self.release()

    def release(self) -> None:
        """Free the parser's state (libyaml's buffers) once the document is read."""
        self.dispose()  # type: ignore[attr-defined]  # the parser's


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _LibyamlLoader(BoundedLoader, CParser):
        """libyaml parses ten times faster; the composing and counting stay in Python."""

        def __init__(self, text: str, limits: DocumentLimits) -> None:
            CParser.__init__(self, text)
            _BoundedComposer.__init__(self, limits)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


class _PythonLoader(BoundedLoader, Reader, Scanner, Parser):
    """PyYAML's own parser, for a PyYAML built without libyaml."""

    def __init__(self, text: str, limits: DocumentLimits) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self, limits)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def bounded_loader(text: str, limits: DocumentLimits | None = None) -> BoundedLoader:
    """A loader of `text` within `limits` (those in force by default): the caller composes
    (get_single_node) or loads (load_single) with it. LimitExceeded at once when the text
    itself is past the size limit."""
    limits = limits or current_limits()
    if len(text) > limits.max_bytes or len(text.encode("utf-8", "replace")) > limits.max_bytes:
        raise LimitExceeded(f"the document is larger than {size_text(limits.max_bytes)}")
    if yaml.__with_libyaml__:
        return _LibyamlLoader(text, limits)
    return _PythonLoader(text, limits)  # pragma: no cover  # PyYAML built without libyaml


def load_yaml_documents(text: str, limits: DocumentLimits | None = None) -> list[Any]:
    """yaml.safe_load_all within the limits, counted over the whole stream."""
    loader = bounded_loader(text, limits)
    try:
        documents = []
        while loader.check_data():  # type: ignore[no-untyped-call]  # untyped in the stubs
            documents.append(loader.get_data())
        return documents
    finally:
        loader.release()


def load_yaml(text: str, limits: DocumentLimits | None = None) -> Any:
    """yaml.safe_load within the limits: YamlLimitExceeded or yaml.YAMLError."""
    return bounded_loader(text, limits).load_single()


# -- JSON --------------------------------------------------------------------------------
def load_json(raw: bytes) -> Any:
    """JSON as Python's json module reads it (any UTF, NaN and Infinity for the caller to
    refuse by name), but nested no deeper than json_strict allows: a deeper value is
    json_strict.TooDeepError (a ValueError), never a RecursionError later on."""
    text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    deep = json_strict.too_deep_at(text)
    if deep is not None:
        raise json_strict.TooDeepError(text[deep], deep)
    return json.loads(text)


def check_value(value: Any, origin: str, limits: DocumentLimits | None = None) -> None:
    """A value read from JSON, held to the same node and depth limits as a YAML document,
    so that the same scenario is refused or accepted whichever way it comes."""
    limits = limits or current_limits()
    count = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        count += 1
        if depth > limits.max_depth:
            raise LimitExceeded(
                f"{origin}: nests deeper than {limits.max_depth} levels, the limit on a "
                "document (--max-document-depth)"
            )
        if count > limits.max_nodes:
            raise LimitExceeded(
                f"{origin}: has more than {limits.max_nodes} values, the limit on a document "
                "(--max-document-nodes)"
            )
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for pair in item.items() for child in pair)
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)


# -- quoting what is refused ---------------------------------------------------------------
_EXCERPT = reprlib.Repr()
_EXCERPT.maxstring = 120
_EXCERPT.maxother = 120
_EXCERPT.maxlist = _EXCERPT.maxdict = _EXCERPT.maxtuple = _EXCERPT.maxset = 4
_EXCERPT.maxlevel = 3
#: The longest error message: enough for a place, a reason and a list of what is allowed.
MAX_MESSAGE = 1000


def excerpt(value: Any) -> str:
    """repr(value), cut to a short excerpt when long: what an error may quote of the input."""
    return _EXCERPT.repr(value)


def clip(message: str, limit: int = MAX_MESSAGE) -> str:
    """The message, its middle left out when longer than `limit`: the place (at its start)
    and the reason (at its end) stay, an echo of a huge input does not."""
    if len(message) <= limit:
        return message
    keep = (limit - 40) // 2
    left_out = len(message) - 2 * keep
    return f"{message[:keep]}… ({left_out} characters left out) …{message[-keep:]}"


def schema_message(error: Any) -> str:
    """A jsonschema error's message with the instance it quotes shortened to an excerpt:
    jsonschema puts repr(instance) in the message, however large the instance is."""
    message = str(error.message)
    instance = error.instance
    if isinstance(instance, str | dict | list):
        shown = repr(instance)
        short = excerpt(instance)
        if shown != short:
            message = message.replace(shown, short)
    return clip(message)
