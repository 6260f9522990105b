"""The TTN v2 provider as its parts (routes, publisher) see it.

A protocol rather than the provider class: the provider builds its parts, so a part that
named the class would import its own builder back (an import circle, type-only or not).
"""

from __future__ import annotations

from typing import Protocol

from mockserver.providers.ttnv2.applications import Registry
from mockserver.providers.ttnv2.handler import Handler
from mockserver.world import World


class TTNv2Context(Protocol):
    @property
    def world(self) -> World: ...

    @property
    def registry(self) -> Registry: ...

    @property
    def handler(self) -> Handler: ...
