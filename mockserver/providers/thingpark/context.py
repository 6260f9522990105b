"""The ThingPark provider as its parts (routes, token routes, reports) see it.

A protocol rather than the provider class: the provider builds its parts, so a part that
named the class would import its own builder back (an import circle, type-only or not).
"""

from __future__ import annotations

from random import Random
from typing import Protocol

from mockserver.clock import Clock
from mockserver.contract import HttpRequest
from mockserver.providers.thingpark.lrc import Lrc
from mockserver.providers.thingpark.subscription import Subscription
from mockserver.providers.thingpark.tokens import TokenIssuer
from mockserver.world import World


class ThingParkContext(Protocol):
    @property
    def world(self) -> World: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def rng(self) -> Random: ...

    @property
    def subscription(self) -> Subscription: ...

    @property
    def tokens(self) -> TokenIssuer: ...

    @property
    def lrc(self) -> Lrc: ...

    @property
    def token_lifetime(self) -> int: ...

    @property
    def rejection_status(self) -> int: ...

    def scope(self) -> tuple[str, ...]: ...

    def authorize(self, request: HttpRequest) -> None: ...
