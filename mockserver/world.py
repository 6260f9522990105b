"""A world: the devices, credentials and vendor objects one simulator instance serves.

A world is built from a YAML/JSON description (the bundled default, a user's file, or a
dict in a test). Building is cheap, so resetting a world means building it again from the
same description: no state survives a reset by accident.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mockserver.clock import Clock
from mockserver.core import Network
from mockserver.core.radio import RadioEnvironment
from mockserver.core.scheduler import Scheduler
from mockserver.formatters.world import ScriptFileError, resolve_files, script_problems
from mockserver.outbound import Outbound
from mockserver.providers import PROVIDERS, Provider

DEFAULT_WORLD = Path(__file__).with_name("worlds") / "default.yaml"
WorldSource = str | Path | Mapping[str, Any] | None


class WorldError(ValueError):
    """A world description is unusable; the message names the file and the offending field."""


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
    """The description as a dict, checked against the world schema."""
    origin = "world"
    if source is None:
        source = DEFAULT_WORLD
    if isinstance(source, str | Path):
        origin = str(source)
        try:
            description = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise WorldError(f"{origin}: cannot be read: {error}") from error
    else:
        description = dict(source)
    description = description or {}
    base = Path(source).parent if isinstance(source, str | Path) else Path.cwd()
    try:
        description = resolve_files(description, base)
    except ScriptFileError as error:
        raise WorldError(f"{origin}: {error}") from None
    validator = jsonschema.Draft202012Validator(
        world_schema(), format_checker=jsonschema.FormatChecker()
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(description))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise WorldError(f"{origin}: at {where}: {error.message}")
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


@dataclass
class World:
    description: dict[str, Any]
    clock: Clock
    network: Network
    random: random.Random
    scheduler: Scheduler
    radio: RadioEnvironment
    outbound: Outbound
    #: Where applications reach this simulator (for URLs it hands out, e.g. X-Downlink-Push).
    public_url: str
    providers: dict[str, Provider] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        description: dict[str, Any],
        clock: Clock,
        outbound: Outbound | None = None,
        public_url: str = "http://127.0.0.1:8080",
    ) -> World:
        network = Network(clock)
        world = cls(
            description=description,
            clock=clock,
            network=network,
            random=random.Random(description.get("seed", 0)),
            scheduler=Scheduler(network),
            radio=RadioEnvironment(description.get("seed", 0)),
            outbound=outbound or Outbound(),
            public_url=public_url,
        )
        for name, provider_class in PROVIDERS.items():
            try:
                world.providers[name] = provider_class(world, description.get(name) or {})
            except WorldError:
                raise
            except ValueError as error:  # DeviceExists and the providers' own refusals
                raise WorldError(f"world: at {name}: {error}") from error
        return world
