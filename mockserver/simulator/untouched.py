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

import io
import pickle
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from mockserver.clock import VirtualClock
from mockserver.contract import Contract
from mockserver.outbound import OutboundTargets, Outbox
from mockserver.world import World

#: Values a description may hold besides pickle's own kinds (dicts, lists, tuples, sets,
#: strings, bytes, numbers, booleans, None): YAML's timestamps, which cannot change in place.
_VALUES = (datetime, date, time, timedelta)


class _Unfollowable(Exception):
    """The description holds an object whose contents `contents` cannot vouch for."""


class _Contents(pickle.Pickler):
    """pickle's own kinds and `_VALUES` only: any other object (a caller's own mapping,
    say) could change in ways its pickled form does not show."""

    def reducer_override(self, obj: Any) -> Any:  # not asked for pickle's own kinds
        if type(obj) in _VALUES:
            return NotImplemented  # pickled as usual
        raise _Unfollowable


def contents(description: dict[str, Any]) -> bytes:
    """The description's contents, every value with its type, in order, and which values
    are the same object: two equal results, the same description for a build
    (_Unfollowable when it holds something else). About 20 us for the bundled world."""
    buffer = io.BytesIO()
    _Contents(buffer, pickle.HIGHEST_PROTOCOL).dump(description)
    return buffer.getvalue()


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
        try:
            description = contents(world.description)
        except _Unfollowable:
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
        if not (
            world is self.world
            and clock is self.clock
            and outbox is self.outbox
            and outbox.targets is self.targets
            and contract is self.contract
            and description is world.description
            and public_url == self.public_url
            and self.clock.state() == self.clock_state
        ):
            return False
        try:
            return contents(description) == self.description
        except _Unfollowable:  # an object put in since
            return False
