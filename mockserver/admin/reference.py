"""docs/admin-api.md, written from the admin API's description so the two cannot drift:
`python -m mockserver.admin.reference > docs/admin-api.md` regenerates it, and a test
fails when the committed page is not what this renders."""

from __future__ import annotations

import json
from typing import Any, cast

from mockserver.admin.description import admin_description

METHODS = ("get", "put", "post", "patch", "delete")


def render_reference(description: dict[str, Any] | None = None) -> str:
    spec = description or admin_description()
    info = spec["info"]
    lines = [
        f"# {info['title']}",
        "",
        "<!-- Generated from specs/mockserver-admin.yaml by "
        "`python -m mockserver.admin.reference`; edit the description, not this page. -->",
        "",
        " ".join(info["description"].split()),
        "",
        "The description itself is served at `GET /_mock/openapi.json` (OpenAPI 3.1).",
        "",
        "| route | does |",
        "| --- | --- |",
    ]
    for path, method, operation in _operations(spec):
        anchor = operation["operationId"].lower()
        lines.append(f"| [`{method.upper()} {path}`](#{anchor}) | {operation['summary']} |")
    for tag in [tag["name"] for tag in spec.get("tags", [])]:
        lines += ["", f"## {tag.capitalize()}"]
        for path, method, operation in _operations(spec):
            if tag in operation.get("tags", []):
                lines += _operation(spec, path, method, operation)
    lines += ["", "## Objects"]
    for name, schema in spec["components"]["schemas"].items():
        lines += _object(name, schema)
    return "\n".join(lines) + "\n"


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in spec["paths"].items()
        for method in METHODS
        if method in item
    ]


def _operation(
    spec: dict[str, Any], path: str, method: str, operation: dict[str, Any]
) -> list[str]:
    lines = [
        "",
        f"### {operation['operationId']}",
        "",
        f"`{method.upper()} {path}`: {operation['summary']}",
    ]
    if "description" in operation:
        lines += ["", " ".join(operation["description"].split())]
    parameters = [
        _resolve(spec, parameter)
        for parameter in [
            *spec["paths"][path].get("parameters", []),
            *operation.get("parameters", []),
        ]
    ]
    if parameters:
        lines += ["", "| parameter | in | type | meaning |", "| --- | --- | --- | --- |"]
        for parameter in parameters:
            meaning = " ".join(parameter.get("description", "").split())
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | {_type(parameter['schema'])} | "
                f"{meaning} |"
            )
    body = operation.get("requestBody")
    if body:
        kinds = ", ".join(
            f"`{media}` {_type(content['schema'])}" for media, content in body["content"].items()
        )
        lines += ["", f"Body{' (required)' if body.get('required') else ''}: {kinds}."]
    lines += ["", "| status | means | body |", "| --- | --- | --- |"]
    for status, response in operation["responses"].items():
        response = _resolve(spec, response)
        content = response.get("content", {})
        shown = ", ".join(f"`{media}` {_type(c['schema'])}" for media, c in content.items())
        lines.append(f"| {status} | {' '.join(response['description'].split())} | {shown or '—'} |")
    return lines


def _object(name: str, schema: dict[str, Any]) -> list[str]:
    lines = ["", f"### {name} object", ""]
    if "description" in schema:
        lines += [" ".join(schema["description"].split()), ""]
    properties = schema.get("properties")
    if not properties:
        return [*lines, f"{_type(schema)}."]
    required = set(schema.get("required", []))
    lines += ["| field | type | always there | meaning |", "| --- | --- | --- | --- |"]
    for field, prop in properties.items():
        meaning = " ".join(str(prop.get("description", "")).split())
        always = "yes" if field in required else ""
        lines.append(f"| `{field}` | {_type(prop)} | {always} | {meaning} |")
    return lines


def _type(schema: dict[str, Any]) -> str:
    """A schema in a few words, linking the objects it names."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()}-object)"
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            joiner = " and " if combinator == "allOf" else " or "
            return joiner.join(_type(part) for part in schema[combinator] if part)
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if isinstance(kind, list):
        return " or ".join(f"`{k}`" for k in kind)
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type(schema['additionalProperties'])}"
    return f"`{kind}`" if kind else "any JSON"


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in node:
        return node
    target: Any = spec
    for part in node["$ref"].lstrip("#/").split("/"):
        target = target[part]
    return cast(dict[str, Any], target)  # a $ref names a schema object


if __name__ == "__main__":
    print(render_reference(), end="")
