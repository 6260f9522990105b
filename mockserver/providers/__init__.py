"""The simulated vendors, one package each, all of the same shape (see base.py)."""

from mockserver.providers.base import Handler, Provider
from mockserver.providers.ttnv2 import TTNv2Provider
from mockserver.providers.tts import TTSProvider

PROVIDERS: dict[str, type[Provider]] = {TTSProvider.name: TTSProvider}
PROVIDERS[TTNv2Provider.name] = TTNv2Provider

__all__ = ["PROVIDERS", "Handler", "Provider"]
