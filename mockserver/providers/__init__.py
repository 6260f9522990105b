"""The simulated vendors, one package each, all of the same shape (see base.py)."""

from mockserver.providers.base import Handler, Provider
from mockserver.providers.tts import TTSProvider

PROVIDERS: dict[str, type[Provider]] = {TTSProvider.name: TTSProvider}

__all__ = ["PROVIDERS", "Handler", "Provider"]
