"""A world: the network, clock, dice and outbox one simulator instance serves.

A world is built from a YAML/JSON description (the bundled default, a user's file, or a
dict in a test). Building is cheap, so resetting a world means building it again from the
same description: no state survives a reset by accident. (A reset keeps a world that
nothing can have changed since the last reset built it: `simulator/untouched.py` proves
it, and a build would make the same world.) Reading a description, and the vendors'
objects built on a world, belong to the providers (`mockserver.providers.worlds`): this
module sits below them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.clock import Clock
from mockserver.core import Network
from mockserver.core.radio import RadioEnvironment
from mockserver.core.scheduler import Scheduler
from mockserver.outbound import Outbox

DEFAULT_WORLD = Path(__file__).with_name("worlds") / "default.yaml"
WorldSource = str | Path | Mapping[str, Any] | None


class WorldError(ValueError):
    """A world description is unusable; the message names the file and the offending field."""


@dataclass
class World:
    description: dict[str, Any]
    clock: Clock
    network: Network
    random: random.Random
    scheduler: Scheduler
    radio: RadioEnvironment
    outbound: Outbox
    #: Where applications reach this simulator (for URLs it hands out, e.g. X-Downlink-Push).
    public_url: str

    @classmethod
    def build(
        cls,
        description: dict[str, Any],
        clock: Clock,
        outbound: Outbox | None = None,
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
            outbound=outbound or Outbox(),
            public_url=public_url,
        )
        return world
