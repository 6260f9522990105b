"""World descriptions as the vendors read them: the schema a world file must follow (each
provider adds its section), reading one, and building the vendors' objects on a world.

This sits on the providers' layer because a world file's sections are the providers' own;
`mockserver.world` below holds what every provider shares (network, clock, dice, outbox).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mockserver.formatters.world import ScriptFileError, resolve_files, script_problems
from mockserver.outbound import target_problems
from mockserver.providers import PROVIDERS, Provider
from mockserver.safe_load import (
    DEFAULT_LIMITS,
    LimitExceeded,
    YamlLimitExceeded,
    clip,
    limits_applied,
    load_yaml,
    read_file,
    schema_message,
)
from mockserver.world import DEFAULT_WORLD, World, WorldError, WorldSource

if TYPE_CHECKING:
    import jsonschema


def world_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "seed": {"type": "integer"},
            "description": {"type": "string"},
            "clock": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"start": {"type": "string", "format": "date-time"}},
            },
            **{name: cls.world_schema for name, cls in PROVIDERS.items()},
        },
    }


def read_world(source: WorldSource) -> dict[str, Any]:
    """The description as a dict, checked against the world schema. Its errors quote at
    most a short excerpt of the file (`clip`)."""
    try:
        return _read_world(source)
    except WorldError as error:
        raise WorldError(clip(str(error))) from error.__cause__


def _read_world(source: WorldSource) -> dict[str, Any]:
    origin = "world"
    bundled = source is None
    if source is None:  # the bundled default: its size is ours, not the user's limits
        source = DEFAULT_WORLD
        with limits_applied(DEFAULT_LIMITS):
            description = _load_file(source, str(source), trusted=True)
    elif isinstance(source, str | Path):
        origin = str(source)
        description = _load_file(source, origin)
    else:
        description = dict(source)
    if description is None:  # an empty file (or one of comments only) describes no world
        raise WorldError(
            f"{origin}: the file is empty: a world needs at least one provider's section "
            f"({', '.join(PROVIDERS)}); see mockserver/worlds/default.yaml"
        )
    base = Path(source).parent if isinstance(source, str | Path) else Path.cwd()
    try:
        description = resolve_files(description, base)
    except ScriptFileError as error:
        raise WorldError(f"{origin}: {error}") from None
    if not bundled:  # the bundled world keeps the schema: tests/test_world.py checks it
        _check_schema(description, origin)
    if isinstance(source, str | Path) and not any(name in description for name in PROVIDERS):
        raise WorldError(
            f"{origin}: names no provider ({', '.join(PROVIDERS)}): it would serve no device "
            "(an empty section, such as `kpn: {}`, says that is meant)"
        )
    for name, provider_class in PROVIDERS.items():
        problems = provider_class.world_problems(description.get(name) or {})
        if problems:
            where, message = problems[0]
            raise WorldError(f"{origin}: at {name}/{where}: {message}")
    unparsable = script_problems(description)
    if unparsable:
        where, message = unparsable[0]
        raise WorldError(f"{origin}: at {where}: {message}")
    return description


def _check_schema(description: Any, origin: str) -> None:
    """WorldError at the first place `description` breaks the world schema. jsonschema is
    imported here: a server on the bundled world (the fixtures' default) never imports it
    (issue 21: it is a tenth of importing the server)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        world_schema(), format_checker=jsonschema.FormatChecker()
    )
    invalid = first_error(validator.iter_errors(description), description)
    if invalid is not None:
        where = "/".join(str(part) for part in invalid.absolute_path) or "(top level)"
        raise WorldError(f"{origin}: at {clip(where, 200)}: {schema_message(invalid)}")


def first_error(
    errors: Iterable[jsonschema.ValidationError], instance: Any
) -> jsonschema.ValidationError | None:
    """The error of the first bad element, in the file's order (jsonschema's `best_match`
    prefers the last of sibling errors), then narrowed as `best_match` narrows it (into the
    branch of an `anyOf` that fits best). A shallower error at the same place comes first."""
    found = list(errors)
    if not found:
        return None
    import jsonschema

    first = min(found, key=lambda error: _position(instance, error.absolute_path))
    best: jsonschema.ValidationError | None = jsonschema.exceptions.best_match([first])
    return best


def _position(instance: Any, path: Iterable[Any]) -> tuple[int, ...]:
    """Where `path` is in `instance`, as the file orders it: an index per step (a list's
    own, a mapping's key by insertion order, which is the file's)."""
    position: list[int] = []
    for step in path:
        if isinstance(instance, Mapping):
            keys = list(instance)
            position.append(keys.index(step) if step in keys else len(keys))
            instance = instance.get(step)
        elif isinstance(instance, list) and isinstance(step, int):
            position.append(step)
            instance = instance[step] if step < len(instance) else None
        else:
            break
    return tuple(position)


def _load_file(path: str | Path, origin: str, trusted: bool = False) -> Any:
    """A world file's YAML (or JSON), within the document limits in force: a file past the
    size limit, or whose aliases expand past the value limit, is refused with line:column.

    The `trusted` bundled default is read by libyaml's whole loader (the same safe tags and
    resolver as the bounded one, without its Python composer): a fifth of the time, paid by
    every simulator built (issue 21); tests/test_world.py checks both read it alike."""
    try:
        text = read_file(path, origin)
        if trusted and hasattr(yaml, "CSafeLoader"):
            return yaml.load(text, Loader=yaml.CSafeLoader)  # safe tags only
        return load_yaml(text)
    except YamlLimitExceeded as error:
        raise WorldError(f"{error.where(origin)}: {error}") from None
    except LimitExceeded as error:
        raise WorldError(str(error)) from None
    except UnicodeDecodeError:
        raise WorldError(f"{origin}: cannot be read: it is not UTF-8 text") from None
    except OSError as error:
        raise WorldError(f"{origin}: cannot be read: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise WorldError(f"{origin}: cannot be read: {clip(str(error), 300)}") from error


def build_providers(world: World) -> dict[str, Provider]:
    """Each vendor's objects (applications, subscriptions, devices...) for the world's
    description; WorldError when one refuses it."""
    refused = next(target_problems(world.description, world.outbound.targets), None)
    if refused is not None:  # a webhook, integration or report URL it may not call
        raise WorldError(f"world: at {refused[0]}: {refused[1]}")
    providers: dict[str, Provider] = {}
    for name, provider_class in PROVIDERS.items():
        try:
            providers[name] = provider_class(world, world.description.get(name) or {})
        except WorldError:
            raise
        except ValueError as error:  # DeviceExists and the providers' own refusals
            raise WorldError(f"world: at {name}: {error}") from error
    return providers
