"""The TTS provider as its parts (routes, webhook registry, publisher) see it.

A protocol rather than the provider class: the provider builds its parts, so a part that
named the class would import its own builder back (an import circle, type-only or not).
"""

from __future__ import annotations

from random import Random
from typing import Protocol

from mockserver.clock import Clock
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.providers.tts.application_server import ApplicationServer
from mockserver.providers.tts.applications import Registry
from mockserver.world import World


class TTSContext(Protocol):
    @property
    def world(self) -> World: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def rng(self) -> Random: ...

    @property
    def registry(self) -> Registry: ...

    @property
    def application_server(self) -> ApplicationServer: ...

    @property
    def max_body(self) -> int: ...

    def authorize(self, request: HttpRequest, application_id: str, *rights: str) -> None: ...

    def payload_too_large(self, request: HttpRequest, limit: int) -> HttpResponse: ...
