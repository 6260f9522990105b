"""The KPN provider as its routes see it.

A protocol rather than the provider class: the provider builds its routes, so routes that
named the class would import their own builder back (an import circle, type-only or not).
"""

from __future__ import annotations

from random import Random
from typing import Protocol

from mockserver.clock import Clock
from mockserver.providers.kpn.auth import TokenService
from mockserver.providers.kpn.devices import DeviceBook
from mockserver.providers.kpn.lifecycle import Lifecycle
from mockserver.providers.kpn.listing import Lister
from mockserver.providers.kpn.store import RecordStore


class KPNContext(Protocol):
    @property
    def clock(self) -> Clock: ...

    @property
    def rng(self) -> Random: ...

    @property
    def tokens(self) -> TokenService: ...

    @property
    def devices(self) -> DeviceBook: ...

    @property
    def lifecycle(self) -> Lifecycle: ...

    @property
    def lister(self) -> Lister: ...

    @property
    def store(self) -> RecordStore: ...
