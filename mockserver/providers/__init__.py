"""The simulated vendors, one package each, all of the same shape (see base.py)."""

from mockserver.providers.base import Handler, Provider
from mockserver.providers.kpn import KPNProvider
from mockserver.providers.thingpark import ThingParkProvider
from mockserver.providers.ttnv2 import TTNv2Provider
from mockserver.providers.tts import TTSProvider

PROVIDERS: dict[str, type[Provider]] = {
    TTSProvider.name: TTSProvider,
    TTNv2Provider.name: TTNv2Provider,
    ThingParkProvider.name: ThingParkProvider,
    KPNProvider.name: KPNProvider,
}

__all__ = ["PROVIDERS", "Handler", "Provider"]
