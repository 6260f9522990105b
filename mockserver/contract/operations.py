"""Operations read out of an API description, and the index that matches requests to them.

Swagger 2.0 and OpenAPI 3.x describe the same things in different places; both are read
into one `Operation` shape here so that nothing downstream cares which dialect it came from.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mockserver.contract.documents import Dialect, SpecDocument, SpecError, resolve_pointer
from mockserver.contract.selection import METHODS

#: A list of further base paths the same operations are served under (the vendor's
#: description names one; its service answers on several).
BASE_PATHS_EXTENSION = "x-mockserver-base-paths"
_PARAMETER = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    schema: Any
    pointer: str  # where the parameter's schema lives in the document
    #: How an array is written on the wire: None when each item is its own repetition
    #: (`?id=1&id=2`), else the character between items in one value (`?id=1,2`).
    separator: str | None = None


@dataclass(frozen=True)
class MediaType:
    schema: Any
    pointer: str


@dataclass(frozen=True)
class ResponseSpec:
    content: dict[str, MediaType]
    required_headers: tuple[str, ...]


@dataclass(frozen=True)
class SecurityScheme:
    """Enough of a security scheme to tell whether a request carries the credential at all."""

    location: str  # header or query
    name: str
    prefix: str = ""  # e.g. "bearer " for HTTP bearer auth


@dataclass
class Operation:
    spec: SpecDocument
    operation_id: str
    method: str  # upper case
    path: str  # full template, base path included
    parameters: tuple[Parameter, ...]
    body: dict[str, MediaType] | None
    body_required: bool
    responses: dict[str, ResponseSpec]
    security: tuple[tuple[SecurityScheme, ...], ...]  # any one alternative must be satisfied
    security_pointer: str  # the operation's own requirement, or the document's
    pointer: str
    #: Where the spec describes the body: OpenAPI 3's requestBody, Swagger 2.0's body or
    #: formData parameters (a missing required body is reported there).
    body_pointer: str = ""
    path_regex: re.Pattern[str] = field(init=False)
    #: (regex group, name) of each path parameter, then of each alias (see `path_aliases`).
    path_names: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        self.path_regex = template_regex(self.path)
        names = _PARAMETER.findall(self.path)
        self.path_names = tuple(
            [(_group(name), name) for name in names]
            + [(_group(name), alias) for name, alias in path_aliases(names).items()]
        )

    @property
    def key(self) -> str:
        """Stable name in reports: `provider.operationId`."""
        return f"{self.spec.provider}.{self.operation_id}"

    def documented_status(self, status: int) -> str | None:
        return documented_status(status, self.responses)


def documented_status(status: int, documented: Collection[str]) -> str | None:
    """The response key that documents `status`: exact, then `4XX`, then `default`."""
    exact = str(status)
    if exact in documented:
        return exact
    family = f"{exact[0]}XX"
    for key in (family, family.lower(), "default"):
        if key in documented:
            return key
    return None


def path_aliases(names: list[str]) -> dict[str, str]:
    """grpc-gateway names a path parameter by its field path in the request message
    (`end_device_ids.application_ids.application_id`): such a parameter is also given under
    its last segment (`application_id`), so handlers and scenario matches use one name on
    every route. Not when another parameter of the path has, or ends in, the same name."""
    last = [name.rsplit(".", 1)[-1] for name in names]
    return {
        name: short
        for name, short in zip(names, last, strict=True)
        if short != name and last.count(short) == 1
    }


def template_regex(template: str) -> re.Pattern[str]:
    parts = _PARAMETER.split(template)
    pattern = "".join(
        f"(?P<{_group(part)}>[^/]+)" if index % 2 else re.escape(part)
        for index, part in enumerate(parts)
    )
    return re.compile(pattern + "$")


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


def read_operations(spec: SpecDocument, base_paths: tuple[str, ...] = ()) -> list[Operation]:
    """Every operation of `spec`, once per base path it is served under."""
    reader = _Reader(spec)
    bases = base_paths or reader.base_paths()
    operations = []
    for path, item in (spec.document.get("paths") or {}).items():
        item_pointer = "#/paths/" + _escape(path)
        if "$ref" in item:
            item = resolve_pointer(spec.document, item["$ref"])
        for method in METHODS:
            if isinstance(item.get(method), dict):
                for base in bases:
                    operations.append(
                        reader.operation(base + path, method, item, f"{item_pointer}/{method}")
                    )
    return operations


def read_webhooks(spec: SpecDocument) -> dict[tuple[str, str], Operation]:
    """The messages a provider sends (OpenAPI 3.1 `webhooks`), by (name, method).

    A webhook has no path of ours: its operations are checked as requests the simulator
    makes, never routed to."""
    reader = _Reader(spec)
    found = {}
    for name, item in (spec.document.get("webhooks") or {}).items():
        pointer = "#/webhooks/" + _escape(name)
        if "$ref" in item:
            item = resolve_pointer(spec.document, item["$ref"])
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found[(name, method.upper())] = reader.operation(
                    name, method, item, f"{pointer}/{method}"
                )
    return found


class _Reader:
    def __init__(self, spec: SpecDocument) -> None:
        self.spec = spec
        self.document = spec.document
        self.swagger = spec.dialect is Dialect.SWAGGER_2

    def base_paths(self) -> tuple[str, ...]:
        """The document's base path, plus any `x-mockserver-base-paths` (an overlay's way to
        say the vendor serves the same operations under other prefixes too)."""
        extra = self.document.get(BASE_PATHS_EXTENSION) or []
        paths = [self.base_path(), *(str(path).rstrip("/") for path in extra)]
        return tuple(dict.fromkeys(paths))

    def base_path(self) -> str:
        if self.swagger:
            base_path: str = self.document.get("basePath") or ""  # a string in Swagger 2.0
            return base_path.rstrip("/")
        servers = self.document.get("servers") or [{"url": "/"}]
        url: str = servers[0].get("url", "/")  # a Server Object's url is a string
        return urlsplit(url).path.rstrip("/")

    def operation(self, path: str, method: str, item: dict[str, Any], pointer: str) -> Operation:
        op = item[method]
        parameters = self._parameters(item, op, pointer)
        body, body_required, body_pointer = self._body(op, parameters, pointer)
        consumes = op.get("consumes") or self.document.get("consumes") or ["application/json"]
        if self.swagger and body is None:
            form = [p for p in parameters if p.location == "formData"]
            if form:
                body_pointer = pointer + "/parameters"
                body = {consumes[0]: MediaType(_form_schema(form), body_pointer)}
                body_required = any(p.required for p in form)
        operation_id = op.get("operationId") or f"{method.upper()} {path}"
        return Operation(
            spec=self.spec,
            operation_id=operation_id,
            method=method.upper(),
            path=path,
            parameters=tuple(p for p in parameters if p.location in ("path", "query", "header")),
            body=body,
            body_required=body_required,
            responses=self._responses(op, pointer),
            security=self._security(op),
            security_pointer=f"{pointer}/security" if "security" in op else "#/security",
            pointer=pointer,
            body_pointer=body_pointer,
        )

    def _deref(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 32:
            node = resolve_pointer(self.document, node["$ref"])
            seen += 1
        return node

    def _parameters(
        self, item: dict[str, Any], op: dict[str, Any], pointer: str
    ) -> list[Parameter]:
        merged: dict[tuple[str, str], Parameter] = {}
        path_pointer = pointer.rsplit("/", 1)[0]
        for owner, base in ((item, path_pointer), (op, pointer)):
            for index, raw in enumerate(owner.get("parameters") or []):
                where = raw.get("$ref", f"{base}/parameters/{index}")
                param = self._deref(raw)
                if self.swagger and param.get("in") == "body":
                    schema, schema_pointer = param.get("schema", {}), where + "/schema"
                elif self.swagger:
                    schema = {
                        key: value
                        for key, value in param.items()
                        if key
                        not in (
                            "name",
                            "in",
                            "required",
                            "description",
                            "collectionFormat",
                            "allowEmptyValue",
                        )
                    }
                    schema_pointer = where
                else:
                    schema = param.get("schema", {})
                    schema_pointer = where + "/schema"
                    content = param.get("content")
                    if not schema and isinstance(content, dict) and content:
                        schema = next(iter(content.values())).get("schema", {})
                location = param["in"]
                merged[(location, param["name"])] = Parameter(
                    name=param["name"],
                    location=location,
                    required=bool(param.get("required")) or location == "path",
                    schema=schema,
                    pointer=schema_pointer,
                    separator=_separator(param, location, swagger=self.swagger),
                )
        return list(merged.values())

    def _body(
        self, op: dict[str, Any], parameters: list[Parameter], pointer: str
    ) -> tuple[dict[str, MediaType] | None, bool, str]:
        if self.swagger:
            bodies = [p for p in parameters if p.location == "body"]
            if not bodies:
                return None, False, pointer + "/parameters"
            consumes = op.get("consumes") or self.document.get("consumes") or ["application/json"]
            media = MediaType(bodies[0].schema, bodies[0].pointer)
            parameter_pointer = bodies[0].pointer.removesuffix("/schema")
            return {kind: media for kind in consumes}, bodies[0].required, parameter_pointer
        raw = op.get("requestBody")
        if raw is None:
            return None, False, pointer + "/requestBody"
        where = raw["$ref"] if "$ref" in raw else pointer + "/requestBody"
        body = self._deref(raw)
        content = {
            kind: MediaType(media.get("schema", {}), f"{where}/content/{_escape(kind)}/schema")
            for kind, media in (body.get("content") or {}).items()
        }
        return content, bool(body.get("required")), where

    def _responses(self, op: dict[str, Any], pointer: str) -> dict[str, ResponseSpec]:
        responses = {}
        for status, raw in (op.get("responses") or {}).items():
            where = raw.get("$ref", f"{pointer}/responses/{status}")
            response = self._deref(raw)
            if self.swagger:
                produces = (
                    op.get("produces") or self.document.get("produces") or ["application/json"]
                )
                content = (
                    {kind: MediaType(response["schema"], where + "/schema") for kind in produces}
                    if "schema" in response
                    else {}
                )
            else:
                content = {
                    kind: MediaType(
                        media.get("schema", {}), f"{where}/content/{_escape(kind)}/schema"
                    )
                    for kind, media in (response.get("content") or {}).items()
                }
            headers = tuple(
                name.lower()
                for name, header in (response.get("headers") or {}).items()
                if self._deref(header).get("required")
            )
            responses[str(status)] = ResponseSpec(content, headers)
        return responses

    def _security(self, op: dict[str, Any]) -> tuple[tuple[SecurityScheme, ...], ...]:
        requirements = op.get("security", self.document.get("security")) or []
        if self.swagger:
            schemes = self.document.get("securityDefinitions") or {}
        else:
            schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        alternatives = []
        for requirement in requirements:
            if not requirement:
                return ()  # an empty requirement makes authentication optional
            alternative = []
            for name in requirement:
                scheme = self._deref(schemes.get(name) or {})
                parsed = _scheme(scheme)
                if parsed is None:
                    raise SpecError(f"{self.spec.path}: unknown security scheme {name!r}")
                alternative.append(parsed)
            alternatives.append(tuple(alternative))
        return tuple(alternatives)


def _scheme(scheme: dict[str, Any]) -> SecurityScheme | None:
    kind = scheme.get("type")
    if kind == "apiKey":
        return SecurityScheme(scheme.get("in", "header"), scheme.get("name", "").lower())
    if kind == "http":
        prefix = scheme.get("scheme", "bearer").lower() + " "
        return SecurityScheme("header", "authorization", prefix)
    if kind in ("oauth2", "openIdConnect"):
        return SecurityScheme("header", "authorization", "bearer ")
    if kind == "basic":  # Swagger 2.0
        return SecurityScheme("header", "authorization", "basic ")
    return None


def _form_schema(parameters: list[Parameter]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {p.name: p.schema for p in parameters},
        "required": [p.name for p in parameters if p.required],
    }


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


#: How many (method, path) pairs an index remembers the operation of; past it, it starts over.
ROUTE_CACHE_SIZE = 4096


class OperationIndex:
    """Finds the operation a request is for, or tells a wrong method from an unknown path.

    A request's (method, path) is matched against the operations' patterns once, and
    remembered: a client sends the same few paths over and over, and the patterns of a
    large description (TTS serves dozens of POST operations) are tried one by one. The
    memory is bounded (`ROUTE_CACHE_SIZE`; a path with an ID in it is a new pair per
    device) and forgets everything when full."""

    def __init__(self, operations: list[Operation]) -> None:
        self._by_method: dict[str, list[Operation]] = {}
        self._found: dict[tuple[str, str], tuple[Operation, dict[str, str]] | None] = {}
        self._all = operations
        for operation in operations:
            self._by_method.setdefault(operation.method, []).append(operation)
        for candidates in self._by_method.values():
            # Literal segments beat parameters ("/down/push" before "/{id}"), as routers do.
            candidates.sort(key=lambda op: (op.path.count("{"), -len(op.path)))

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation and its path parameters (a dict of the caller's own)."""
        key = (method, path)
        try:
            known = self._found[key]
        except KeyError:
            known = self._match(method, path)
            if len(self._found) >= ROUTE_CACHE_SIZE:
                self._found.clear()
            self._found[key] = known
        if known is None:
            return None
        return known[0], known[1].copy()

    def _match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for operation in self._by_method.get(method, ()):
            found = operation.path_regex.match(path)
            if found:
                return operation, {name: found[group] for group, name in operation.path_names}
        return None

    def allowed_methods(self, path: str) -> list[str]:
        return sorted({op.method for op in self._all if op.path_regex.match(path)})

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._all)


#: Swagger 2.0 `collectionFormat` (default csv) as the character between items.
_COLLECTION_FORMATS = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|", "multi": None}
#: OpenAPI 3 non-exploded styles as the character between items.
_STYLES = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def _separator(param: dict[str, Any], location: str, *, swagger: bool) -> str | None:
    """How the spec says an array parameter is serialised (only a query can repeat)."""
    if swagger:
        separator = _COLLECTION_FORMATS.get(param.get("collectionFormat", "csv"), ",")
    else:
        style = param.get("style", "form" if location in ("query", "cookie") else "simple")
        explode = param.get("explode", style == "form")
        separator = None if explode and style != "simple" else _STYLES.get(style, ",")
    return separator if separator is not None or location == "query" else ","
