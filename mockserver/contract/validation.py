"""Checking requests and responses against their operation's description.

Schemas are lowered to draft-07 (lowering.py) and compiled by fastjsonschema the first time
an operation is used, then kept: validating a request costs a few microseconds, so the
contract layer can sit on every request without being the server's bottleneck. The
pass/fail question is asked of jsonschema-rs first (passfail.py), with fastjsonschema's
meaning: its "valid" is final, anything else goes to fastjsonschema, which decides and
explains in the words every violation test expects.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import fastjsonschema
from fastjsonschema import JsonSchemaValueException

from mockserver import json_strict
from mockserver.contract.documents import SpecDocument, resolve_pointer
from mockserver.contract.fields import FieldKey, FieldMap
from mockserver.contract.formats import FORMATS
from mockserver.contract.lowering import (
    SPEC_PATTERN,
    Direction,
    SchemaLowering,
    lower_components,
)
from mockserver.contract.operations import MediaType, Operation, Parameter
from mockserver.contract.passfail import Check, RustChecks
from mockserver.contract.records import ContractViolation, ContractWarning

Validate = Callable[[Any], Any]
_INTEGER = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


#: `HttpRequest.json` before anyone parsed the body (None is a valid JSON document).
UNPARSED: Any = object()


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    #: The body as JSON once the contract layer parsed it, so the provider need not parse again.
    json: Any = field(default=UNPARSED, compare=False, repr=False)
    #: Some object in that JSON repeated a key (the last one is in `json`): a decoder that
    #: rejects duplicates must parse the body itself.
    json_repeated_keys: bool = field(default=False, compare=False, repr=False)
    #: The body was over the provider's limit and was not read (`body` is empty).
    oversized: bool = False
    #: What the contract layer found wrong with the request, for providers whose vendor
    #: answers by its published description (KPN: 400 problem+json naming the rule).
    violations: list[ContractViolation] = field(default_factory=list, compare=False, repr=False)
    #: What the vendor accepts but almost certainly drops by mistake (fields.py).
    warnings: list[ContractWarning] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def has_body(status: int) -> bool:
    """1xx, 204 and 304 answers end at their headers (RFC 9110 §6.4.1): no body, and no
    Content-Length to announce one."""
    return status >= 200 and status not in (204, 304)


@dataclass(frozen=True)
class _CompiledParameter:
    parameter: Parameter
    validate: Validate
    kind: str | None  # the schema's type, to turn the wire string into a JSON value
    item_kind: str | None = None  # an array's item type, likewise


@dataclass(frozen=True)
class _Plan:
    #: All path parameters in one compiled object schema: one call per request, not one each.
    path: CompiledSchema | None
    path_pointers: dict[str, str]
    path_kinds: dict[str, str]  # non-string path parameters, to coerce from their wire form
    parameters: tuple[_CompiledParameter, ...]  # query and header parameters
    bodies: dict[str, Validate]
    responses: dict[str, dict[str, Validate]]  # by documented status, then media type
    #: Request JSON media types by the exact `Content-Type` that selects them, with their
    #: validators: the common request needs no media-type negotiation.
    json_bodies: dict[str, tuple[CompiledSchema, MediaType]] = field(default_factory=dict)
    #: Documented response keys by status code, filled as statuses are answered.
    documented: dict[int, str | None] = field(default_factory=dict)
    #: The one header credential every request must carry (name, lower-case prefix), when
    #: that is the operation's whole requirement: the common case, checked without loops.
    bearer: tuple[str, str] | None = None


class SchemaCompiler:
    """Compiled validators for one document, per direction, shared by all its operations."""

    def __init__(self, spec: SpecDocument) -> None:
        self.spec = spec
        self._lowerings = {
            direction: SchemaLowering(spec.document, spec.dialect, direction)
            for direction in ("request", "response")
        }
        self._components: dict[str, dict[str, Any]] = {}
        self._rust: dict[str, RustChecks] = {}

    def compile(self, schema: Any, direction: Direction) -> CompiledSchema:
        lowered = self._lowerings[direction].lower(schema)
        rust = self._rust.get(direction)
        if rust is None:
            rust = self._rust[direction] = RustChecks(self._lowered_components(direction))
        return CompiledSchema(self._rooted(lowered, direction), rust.check(lowered))

    def lowered(self, schema: Any, direction: Direction) -> dict[str, Any]:
        """`schema` in draft-07, with the components its references reach."""
        return self._rooted(self._lowerings[direction].lower(schema), direction)

    def _rooted(self, lowered: Any, direction: Direction) -> dict[str, Any]:
        return {**self._lowered_components(direction), "allOf": [lowered]}

    def _lowered_components(self, direction: Direction) -> dict[str, Any]:
        if direction not in self._components:
            self._components[direction] = lower_components(
                self.spec.document, self._lowerings[direction]
            )
        return self._components[direction]


class CompiledSchema:
    """A schema compiled for speed, and again (on first need) for the reasons it fails.

    fastjsonschema builds each error's details as it raises, and some valid values raise on
    the way (a `not` is checked by catching its inner schema's error); the fast build passes
    and fails exactly the same values. Calling the object runs the fast build and, on
    failure, the detailed one, to raise the exception the violation is made of; `check` is
    the fast build alone, for callers that call the object only once it failed.

    With `rust` (passfail.py: jsonschema-rs, with fastjsonschema's meaning), `check` asks it
    first and takes its "valid" as final; its "invalid" (or any error of its own) goes on to
    fastjsonschema, which decides and explains as before.
    """

    __slots__ = ("_detailed", "_root", "check", "fast", "rust")

    def __init__(self, root: dict[str, Any], rust: Check | None = None) -> None:
        self._root = root
        self._detailed: Validate | None = None
        try:
            fast: Validate = fastjsonschema.compile(
                root, formats=FORMATS, use_default=False, detailed_exceptions=False
            )
        except KeyError:  # fastjsonschema 2.x cannot build some messages (oneOf) that way
            fast = self._detailed = fastjsonschema.compile(root, formats=FORMATS, use_default=False)
        #: fastjsonschema's check (the reference) and jsonschema-rs's, kept for the tests.
        self.fast, self.rust = fast, rust
        self.check: Validate = fast if rust is None else _rust_first(rust, fast)

    def __call__(self, value: Any) -> Any:
        try:
            return self.check(value)
        except JsonSchemaValueException:
            detailed = self._detailed
            if detailed is None:
                detailed = self._detailed = fastjsonschema.compile(
                    self._root, formats=FORMATS, use_default=False
                )
            return detailed(value)


def _rust_first(rust: Check, fast: Validate) -> Validate:
    def check(value: Any) -> Any:
        try:
            if rust(value):
                return value
        except Exception:  # not swallowed: a value Rust cannot take (a lone surrogate,
            pass  # UnicodeEncodeError) or any other refusal of Rust's, fastjsonschema decides
        return fast(value)

    return check


@functools.lru_cache(maxsize=1024)
def query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    """A query string's (name, value) pairs, blanks kept, as `parse_qsl` reads them. Cached:
    a client sends the same few queries over and over, and both the contract check and the
    provider read them (ThingPark's flags), so a request's query is parsed once."""
    return tuple(parse_qsl(query, keep_blank_values=True)) if query else ()


class RequestResponseValidator:
    """Finds contract violations in one exchange; knows nothing of providers or servers."""

    def __init__(self) -> None:
        self._compilers: dict[str, SchemaCompiler] = {}
        self._plans: dict[int, _Plan] = {}
        #: Body field maps (and their spec location) by operation and media type, as met.
        self._field_maps: dict[tuple[int, str], tuple[FieldMap, str]] = {}

    # -- warnings --------------------------------------------------------------------------
    def undeclared_fields(
        self, operation: Operation, request: HttpRequest, key: FieldKey
    ) -> list[ContractWarning]:
        """Fields of the request's JSON body the description does not name, as warnings:
        the vendor accepts and drops them. Call after `check_request` parsed the body."""
        if request.json is UNPARSED or not isinstance(request.json, dict | list):
            return []
        header = request.headers.get("content-type", "")
        known = self._field_maps.get((id(operation), header))  # the header names the media type
        if known is None:
            chosen = _choose_media(operation.body or {}, _media_type(header))
            if chosen is None:
                return []
            known = self._field_map(operation, *chosen)
        fields, location = known
        found = fields.undeclared(request.json, key)
        if not found:
            return []
        return [
            ContractWarning(
                operation=operation.key,
                where=finding.where,
                rule=finding.rule,
                field=finding.field,
                message=finding.message,
                spec_location=location,
                method=request.method,
                path=request.path,
                suggestion=finding.suggestion,
            )
            for finding in found
        ]

    # -- requests --------------------------------------------------------------------------
    def check_request(
        self, operation: Operation, path_params: Mapping[str, str], request: HttpRequest
    ) -> list[ContractViolation]:
        plan = self._plans.get(id(operation)) or self._plan(operation)
        violations: list[ContractViolation] = []
        path = plan.path
        if path is not None:
            if plan.path_kinds:
                self._check_path(operation, plan, path_params, request, violations)
            else:
                try:
                    path.check(path_params)
                except JsonSchemaValueException:
                    self._check_path(operation, plan, path_params, request, violations)
        if plan.parameters:
            query = query_pairs(request.query)
            for compiled in plan.parameters:
                self._check_parameter(operation, compiled, path_params, query, request, violations)
        if plan.bearer is not None:
            name, prefix = plan.bearer
            value = request.headers.get(name)
            if value is None or not value.lower().startswith(prefix):
                violations.append(_no_credentials(operation, request))
        elif operation.security:
            query = query_pairs(request.query)
            if not any(
                all(_carries(scheme, request, query) for scheme in alternative)
                for alternative in operation.security
            ):
                violations.append(_no_credentials(operation, request))
        if operation.body is not None and not request.oversized:
            self._check_body(operation, plan, request, violations)
        return violations

    def _check_path(
        self,
        operation: Operation,
        plan: _Plan,
        path_params: Mapping[str, str],
        request: HttpRequest,
        violations: list[ContractViolation],
    ) -> None:
        if plan.path_kinds:
            path_params = {
                name: _coerce(value, plan.path_kinds.get(name))
                for name, value in path_params.items()
            }
        assert plan.path is not None  # called only for an operation with path parameters
        try:
            plan.path(path_params)
        except JsonSchemaValueException as error:
            name = error.path[1] if len(error.path) > 1 else ""
            where = _where(f"path.{name}", error.path[1:])
            message = _rule_words(error)
            pointer = plan.path_pointers.get(name, operation.pointer + "/parameters")
            violations.append(
                _violation(
                    operation, request, "request", where, error.rule or "schema", message, pointer
                )
            )

    def _check_parameter(
        self,
        operation: Operation,
        compiled: _CompiledParameter,
        path_params: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        request: HttpRequest,
        violations: list[ContractViolation],
    ) -> None:
        parameter = compiled.parameter
        where = f"{parameter.location}.{parameter.name}"
        if parameter.location == "path":
            raw: Any = path_params.get(parameter.name)
        elif parameter.location == "header":
            raw = request.headers.get(parameter.name.lower())
        else:
            values = [value for name, value in query if name == parameter.name]
            raw = values if compiled.kind == "array" else (values[0] if values else None)
            if compiled.kind == "array" and not values:
                raw = None
        if raw is None:
            if parameter.required:
                violations.append(
                    _violation(
                        operation,
                        request,
                        "request",
                        where,
                        "required",
                        f"required {parameter.location} parameter {parameter.name!r} is missing",
                        parameter.pointer,
                    )
                )
            return
        if compiled.kind == "array":
            value: Any = _items(raw, parameter.separator, compiled.item_kind)
        else:
            value = _coerce(raw, compiled.kind)
        self._run(
            compiled.validate,
            value,
            operation,
            request,
            "request",
            where,
            parameter.pointer,
            violations,
        )

    def _check_body(
        self,
        operation: Operation,
        plan: _Plan,
        request: HttpRequest,
        violations: list[ContractViolation],
    ) -> None:
        if not request.body:
            if operation.body_required:
                violations.append(
                    _violation(
                        operation,
                        request,
                        "request",
                        "body",
                        "required",
                        "the request body is required",
                        operation.body_pointer,
                    )
                )
            return
        fast = plan.json_bodies.get(request.headers.get("content-type", ""))
        if fast is not None:  # a documented JSON media type, exactly: no negotiation to do
            validate, media = fast
            try:
                value, request.json_repeated_keys = json_strict.loads_noting_repeated_keys(
                    request.body
                )
            except ValueError:
                pass  # the general path below reports the syntax error
            else:
                try:
                    validate.check(value)
                except JsonSchemaValueException:
                    self._run(
                        validate,
                        value,
                        operation,
                        request,
                        "request",
                        "body",
                        media.pointer,
                        violations,
                    )
                request.json = value
                return
        kind, value = self._check_payload(
            operation,
            request,
            "request",
            operation.body or {},
            request.headers,
            request.body,
            plan.bodies,
            operation.body_pointer,
            violations,
        )
        if value is not _UNDECODABLE and kind.endswith("json"):
            request.json = value

    def _check_payload(
        self,
        operation: Operation,
        request: HttpRequest,
        direction: str,
        content: dict[str, MediaType],
        headers: Mapping[str, str],
        body: bytes,
        validators: Mapping[str, Validate],
        pointer: str,
        violations: list[ContractViolation],
        status: int | None = None,
    ) -> tuple[str, Any]:
        """Content type, syntax and schema of a body; returns its media type and value."""
        content_type = _media_type(headers.get("content-type", ""))
        media = _choose_media(content, content_type)
        if media is None:
            violations.append(
                _violation(
                    operation,
                    request,
                    direction,
                    "header.content-type",
                    "content-type",
                    f"content type {content_type or '(none)'!r} is not documented "
                    f"(documented: {', '.join(content) or 'none'})",
                    pointer,
                    status,
                )
            )
            return "", _UNDECODABLE
        kind, spec_media = media
        if direction == "request" and kind.endswith("json"):
            try:
                value, request.json_repeated_keys = json_strict.loads_noting_repeated_keys(body)
            except ValueError:
                value = _UNDECODABLE
        else:
            value = _decode(body, kind)
        if value is _UNDECODABLE:
            violations.append(
                _violation(
                    operation,
                    request,
                    direction,
                    "body",
                    "syntax",
                    f"the body is not valid {kind}",
                    spec_media.pointer,
                    status,
                )
            )
        else:
            self._run(
                validators[kind],
                value,
                operation,
                request,
                direction,
                "body",
                spec_media.pointer,
                violations,
                status,
            )
        return kind, value

    # -- responses -------------------------------------------------------------------------
    def check_response(
        self, operation: Operation, request: HttpRequest, response: HttpResponse
    ) -> tuple[str | None, list[ContractViolation]]:
        """The documented status key that covers the response, and what it broke."""
        plan = self._plans.get(id(operation)) or self._plan(operation)
        status = response.status
        documented = plan.documented.get(status, _UNKNOWN_STATUS)
        if documented is _UNKNOWN_STATUS:
            documented = plan.documented[status] = operation.documented_status(status)
        if documented is None:
            return None, [
                _violation(
                    operation,
                    request,
                    "response",
                    "status",
                    "undocumented-status",
                    f"status {response.status} is not documented "
                    f"(documented: {', '.join(operation.responses) or 'none'})",
                    operation.pointer + "/responses",
                    response.status,
                )
            ]
        spec = operation.responses[documented]
        if not spec.content and not spec.required_headers and not response.body:
            return documented, []  # nothing to check: the common empty answer
        pointer = f"{operation.pointer}/responses/{documented}"
        headers = response.headers
        violations = [
            _violation(
                operation,
                request,
                "response",
                f"header.{name}",
                "required",
                f"required response header {name!r} is missing",
                pointer,
                response.status,
            )
            for name in spec.required_headers
            if name not in headers
        ]
        if not spec.content:
            if response.body:
                violations.append(
                    _violation(
                        operation,
                        request,
                        "response",
                        "body",
                        "undocumented-body",
                        "the response has a body but its description has none",
                        pointer,
                        response.status,
                    )
                )
            return documented, violations
        self._check_payload(
            operation,
            request,
            "response",
            spec.content,
            headers,
            response.body,
            plan.responses[documented],
            pointer,
            violations,
            response.status,
        )
        return documented, violations

    # -- compilation -----------------------------------------------------------------------
    def _plan(self, operation: Operation) -> _Plan:
        plan = self._plans.get(id(operation))
        if plan is None:  # two simulators' threads may both compile it: one copy is kept
            plan = self._plans.setdefault(id(operation), self._compile(operation))
        return plan

    def _field_map(self, operation: Operation, kind: str, media: MediaType) -> tuple[FieldMap, str]:
        known = self._field_maps.get((id(operation), kind))
        if known is None:  # as `_plan`: built twice at worst, one copy kept
            lowered = self._compiler(operation.spec).lowered(media.schema, "request")
            spec = operation.spec.path
            location = f"{spec.parent.name}/{spec.name}{media.pointer}"
            known = self._field_maps.setdefault(
                (id(operation), kind), (FieldMap(lowered), location)
            )
        return known

    def _compiler(self, spec: SpecDocument) -> SchemaCompiler:
        compiler = self._compilers.get(spec.name)
        if compiler is None:
            compiler = self._compilers[spec.name] = SchemaCompiler(spec)
        return compiler

    def _compile(self, operation: Operation) -> _Plan:
        compiler = self._compiler(operation.spec)
        in_path = [p for p in operation.parameters if p.location == "path"]
        path = None
        if in_path:
            path = compiler.compile(
                {
                    "type": "object",
                    "properties": {p.name: p.schema for p in in_path},
                },
                "request",
            )
        parameters = tuple(
            _CompiledParameter(
                p,
                compiler.compile(p.schema, "request"),
                _schema_type(p.schema),
                _schema_type(_resolved(p.schema.get("items"), operation.spec.document))
                if isinstance(p.schema, dict)
                else None,
            )
            for p in operation.parameters
            if p.location != "path"
        )
        bodies: dict[str, Validate] = {
            kind: _form_fields_coerced(
                compiler.compile(media.schema, "request"), media.schema, operation.spec.document
            )
            if kind == FORM
            else compiler.compile(media.schema, "request")
            for kind, media in (operation.body or {}).items()
        }
        responses: dict[str, dict[str, Validate]] = {
            status: {
                kind: compiler.compile(media.schema, "response")
                for kind, media in spec.content.items()
            }
            for status, spec in operation.responses.items()
        }
        pointers = {p.name: p.pointer for p in in_path}
        kinds = {
            p.name: kind
            for p in in_path
            if (kind := _schema_type(_resolved(p.schema, operation.spec.document)))
            not in (None, "string")
        }
        bearer = None
        if len(operation.security) == 1 and len(operation.security[0]) == 1:
            scheme = operation.security[0][0]
            if scheme.location == "header":
                bearer = (scheme.name, scheme.prefix)
        json_bodies = {
            kind: (compiled, media)
            for kind, media in (operation.body or {}).items()
            if kind == _media_type(kind)
            and kind.endswith("json")
            and isinstance(compiled := bodies[kind], CompiledSchema)  # JSON: never form-coerced
        }
        return _Plan(
            path,
            pointers,
            kinds,
            parameters,
            bodies,
            responses,
            json_bodies=json_bodies,
            bearer=bearer,
        )

    def _run(
        self,
        validate: Validate,
        value: Any,
        operation: Operation,
        request: HttpRequest,
        direction: str,
        where: str,
        pointer: str,
        violations: list[ContractViolation],
        status: int | None = None,
    ) -> None:
        try:
            validate(value)
        except JsonSchemaValueException as error:
            path = _where(where, error.path)
            message = _rule_words(error)
            violations.append(
                _violation(
                    operation,
                    request,
                    direction,
                    path,
                    error.rule or "schema",
                    message,
                    pointer,
                    status,
                    expected=_expected(error.definition),
                )
            )


_UNDECODABLE = object()
FORM = "application/x-www-form-urlencoded"


def _form_fields_coerced(validate: Validate, schema: Any, document: Any) -> Validate:
    """A form body is all strings on the wire: each field is read as its schema's type
    (Swagger 2.0 `formData` integers and booleans, OpenAPI form properties) before checking."""
    properties = _resolved(schema, document)
    properties = properties.get("properties") if isinstance(properties, dict) else None
    if not isinstance(properties, dict):
        return validate
    kinds = {
        name: kind
        for name, sub in properties.items()
        if (kind := _schema_type(_resolved(sub, document))) in ("integer", "number", "boolean")
    }
    if not kinds:
        return validate

    def coerced(value: Any) -> Any:
        if isinstance(value, dict):
            value = {
                name: _coerce(field, kinds[name])
                if name in kinds and isinstance(field, str)
                else field
                for name, field in value.items()
            }
        return validate(value)

    return coerced


_UNKNOWN_STATUS: Any = object()


def _decode(body: bytes, media_type: str) -> Any:
    if media_type == FORM:
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return _UNDECODABLE
    if media_type.endswith("json") or media_type == "*/*":
        try:
            return json_strict.loads(body)
        except ValueError:
            return _UNDECODABLE
    return body.decode("utf-8", "replace")


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _choose_media(content: dict[str, MediaType], content_type: str) -> tuple[str, MediaType] | None:
    if content_type in content:
        return content_type, content[content_type]
    family = content_type.split("/", 1)[0] + "/*"
    for candidate in (family, "*/*"):
        if candidate in content:
            return candidate, content[candidate]
    return None


def _resolved(schema: Any, document: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = resolve_pointer(document, schema["$ref"])
    return schema


def _schema_type(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _items(raw: str | list[str], separator: str | None, kind: str | None) -> list[Any]:
    """An array parameter's wire values (a header's one string, a query's repetitions) as
    the items its schema describes."""
    values = [raw] if isinstance(raw, str) else raw
    if separator is not None:
        values = [item for value in values for item in value.split(separator)]
    return [_coerce(item, kind) for item in values]


#: Python refuses to read longer integers (sys.int_info.default_max_str_digits); a longer
#: one stays text, and its schema's `type` refuses it.
_MAX_INTEGER_DIGITS = 4000


def _coerce(raw: Any, kind: str | None) -> Any:
    """A wire string as the JSON value its schema expects, left as is when it cannot be."""
    if kind == "integer" and len(raw) <= _MAX_INTEGER_DIGITS and _INTEGER.match(raw):
        return int(raw)
    if kind == "number" and _NUMBER.match(raw):
        return float(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _carries(scheme: Any, request: HttpRequest, query: Sequence[tuple[str, str]]) -> bool:
    if scheme.location == "query":
        return any(name == scheme.name for name, _ in query)
    value = request.headers.get(scheme.name)
    return value is not None and value.lower().startswith(scheme.prefix)


def _no_credentials(operation: Operation, request: HttpRequest) -> ContractViolation:
    return _violation(
        operation,
        request,
        "request",
        "security",
        "security",
        "the request carries none of the credentials the operation requires",
        operation.security_pointer,
    )


def _where(base: str, path: list[str]) -> str:
    where = base
    for token in path[1:]:
        where += f"[{token}]" if token.isdigit() else f".{token}"
    return where


_SHOWN_KEYWORDS = (
    "type",
    "enum",
    "const",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "required",
    "not",
    "additionalProperties",
)


def _rule_words(error: JsonSchemaValueException) -> str:
    """What the rule says, without the value's path (the violation's `where` names it, and
    every reader shows the two together) and with a pattern as the description wrote it."""
    message = error.message
    if error.name and message.startswith(error.name + " "):
        message = message[len(error.name) + 1 :]
    definition = error.definition if isinstance(error.definition, dict) else {}
    if error.rule == "pattern" and SPEC_PATTERN in definition:
        message = message.replace(str(definition["pattern"]), str(definition[SPEC_PATTERN]), 1)
    return message


def _expected(definition: Any) -> Any:
    """The failing schema as a reader needs it: its constraints (a pattern as the description
    wrote it), and an object's field names rather than their whole schemas."""
    if not isinstance(definition, dict):
        return definition
    shown: dict[str, Any] = {key: definition[key] for key in _SHOWN_KEYWORDS if key in definition}
    if SPEC_PATTERN in definition:
        shown["pattern"] = definition[SPEC_PATTERN]
    if isinstance(shown.get("enum"), list) and len(shown["enum"]) > 20:
        shown["enum"] = [*shown["enum"][:20], "..."]
    if isinstance(definition.get("properties"), dict):
        shown["properties"] = sorted(definition["properties"])
    return shown or None


def _violation(
    operation: Operation,
    request: HttpRequest,
    direction: str,
    where: str,
    rule: str,
    message: str,
    pointer: str,
    status: int | None = None,
    *,
    expected: Any = None,
) -> ContractViolation:
    return ContractViolation(
        operation=operation.key,
        direction=direction,
        where=where,
        rule=rule,
        message=message,
        spec_location=f"{operation.spec.path.parent.name}/{operation.spec.path.name}{pointer}",
        method=request.method,
        path=request.path,
        status=status,
        expected=expected,
    )
