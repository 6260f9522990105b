"""The simulated vendors, one package each, all of the same shape (see base.py)."""

from mockserver.providers.base import Handler, Provider
from mockserver.providers.thingpark import ThingParkProvider
from mockserver.providers.tts import TTSProvider

PROVIDERS: dict[str, type[Provider]] = {TTSProvider.name: TTSProvider}
PROVIDERS[ThingParkProvider.name] = ThingParkProvider

__all__ = ["PROVIDERS", "Handler", "Provider"]
