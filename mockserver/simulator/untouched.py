"""What a reset built, kept so that the next reset can prove it has nothing to undo.

A reset rebuilds the world from its description (`Simulator.reset`). Before each test the
pytest fixtures reset, and most of a suite's tests start from a world the test before them
did not change (it sent nothing, or its requests went to another simulator): the rebuild
then made what was there already, and it was most of a fixture's cost per test (issue 21).

`Built` is taken when a reset has built the world: the world, everything the build read
(the description's contents, the clock and where it stood with its timers, the public URL,
the outbox and its targets, the contract) and nothing else. The simulator forgets it as
soon as the world may change: a request, an uplink, a scenario, or the world's objects
handed out (whoever holds them may change them). The next reset keeps the world only when
it still holds it and every input compares equal: the world a rebuild would make is then
the one there, object for object, and the reset does only what it does besides building.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass
from typing import Any

from mockserver.clock import VirtualClock
from mockserver.contract import Contract
from mockserver.outbound import OutboundTargets, Outbox
from mockserver.world import World

#: marshal's format without references between objects (those came in version 3, and it
#: writes one only for an object referred to more than once at that moment) nor interned
#: strings: the bytes depend on the values alone (and their types: 1, 1.0 and True differ).
_FORMAT = 2


def contents(description: dict[str, Any]) -> bytes | None:
    """The description's contents: every dict, list and scalar, each with its type, in
    order; two equal results, the same description for a build. None when it holds
    anything else (a caller's own mapping, a timestamp): marshal writes only its own
    kinds, exactly, and such a description's world is always built again (a bytearray it
    writes as bytes: the contents, which is what a build reads). About 25 us for the
    bundled world; marshal is built in (nothing to import)."""
    try:
        return marshal.dumps(description, _FORMAT)
    except ValueError:  # "unmarshallable object"
        return None


@dataclass(frozen=True, slots=True, eq=False)
class Built:
    """A world as a reset built it, with the inputs of that build."""

    world: World
    clock: VirtualClock
    clock_state: tuple[object, ...]
    public_url: str
    outbox: Outbox
    targets: OutboundTargets
    contract: Contract
    #: `contents` of the description it was built from.
    description: bytes

    @classmethod
    def of(
        cls,
        world: World,
        clock: VirtualClock,
        public_url: str,
        outbox: Outbox,
        contract: Contract,
    ) -> Built | None:
        """What `reset` records right after building `world` (None: a description whose
        contents cannot be vouched for, so the next reset builds again)."""
        description = contents(world.description)
        if description is None:
            return None
        return cls(
            world, clock, clock.state(), public_url, outbox, outbox.targets, contract, description
        )

    def still_holds(
        self,
        world: World,
        clock: object,
        public_url: str,
        outbox: Outbox,
        contract: Contract,
        description: dict[str, Any],
    ) -> bool:
        """Whether a build from these inputs now would make this world again: the same
        objects, the clock where it stood with the same timers, the description's contents
        unchanged (a dict edited in place is seen here)."""
        return (
            world is self.world
            and clock is self.clock
            and outbox is self.outbox
            and outbox.targets is self.targets
            and contract is self.contract
            and description is world.description
            and public_url == self.public_url
            and self.clock.state() == self.clock_state
            and contents(description) == self.description
        )
