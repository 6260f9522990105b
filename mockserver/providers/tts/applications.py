"""TTS's own objects in a world: applications, their webhooks and device settings, API keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockserver.clock import from_datetime
from mockserver.core import Device, DeviceClass, Network, Session
from mockserver.formatters.tts import PayloadFormatters
from mockserver.providers.tts.auth import ApiKey, KeyRing
from mockserver.providers.tts.formatters import Formatter, formatter_from
from mockserver.providers.tts.message_types import MESSAGE_TYPES
from mockserver.types import Micros, seconds

#: NS `downlink-queue-capacity` default (per session).
QUEUE_CAPACITY = 10_000


@dataclass
class Webhook:
    id: str
    base_url: str = ""
    format: str = "json"
    downlink_api_key: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    paused: bool = False
    #: Enabled message types and their paths (appended to base_url), e.g. uplink_message: /up
    messages: dict[str, str] = field(default_factory=dict)
    created_at: Micros = 0
    updated_at: Micros = 0

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> Webhook:
        fields = {key: value for key, value in raw.items() if key not in MESSAGE_TYPES}
        messages = {
            kind: (raw[kind] or {}).get("path", "") for kind in MESSAGE_TYPES if kind in raw
        }
        return cls(**fields, messages=messages)


@dataclass(slots=True)
class EndDevice:
    """TTS's view of a device: the core device plus what only the Application Server holds."""

    device: Device
    formatter: Formatter | None = None
    #: TTS's `formatters` of the device (mockserver.formatters.tts), when it has any.
    formatters: PayloadFormatters | None = None

    @property
    def device_id(self) -> str:
        return self.device.id.split(".", 1)[1]


@dataclass
class Application:
    id: str
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    devices: dict[str, EndDevice] = field(default_factory=dict)
    formatter: Formatter | None = None  # the application's default formatter
    default_formatters: PayloadFormatters | None = None


class Registry:
    """Applications and keys of one world, built from its `tts:` section."""

    def __init__(self, config: Mapping[str, Any], network: Network) -> None:
        self.domain: str = config.get("domain", "thethings.example.com")
        self.applications: dict[str, Application] = {}
        self.keys = KeyRing(_api_key(raw) for raw in config.get("api_keys", []))
        self.network = network
        self.default_band = config.get("band", "EU868")
        for raw in config.get("applications", []):
            application = Application(
                id=raw["id"],
                formatter=formatter_from(raw.get("formatter")),
                default_formatters=PayloadFormatters.from_config(raw.get("default_formatters")),
            )
            for hook in raw.get("webhooks", []):
                webhook = Webhook.from_config(hook)
                webhook.created_at = webhook.updated_at = network.clock.now_us()
                application.webhooks[hook["id"]] = webhook
            self.applications[application.id] = application
            for raw_device in raw.get("devices", []):
                self.add_device(application.id, raw_device)

    def add_device(self, application_id: str, raw: Mapping[str, Any]) -> EndDevice:
        """Register a device (world-file shape) in an application, creating the application."""
        application = self.applications.setdefault(application_id, Application(application_id))
        device = self.network.add(_device(application_id, raw, self.default_band))
        device.queue.capacity = QUEUE_CAPACITY
        end_device = EndDevice(
            device,
            formatter_from(raw.get("formatter")),
            PayloadFormatters.from_config(raw.get("formatters")),
        )
        application.devices[raw["id"]] = end_device
        return end_device

    def remove_device(self, device: Device) -> None:
        application_id, device_id = device.id.split(".", 1)
        self.applications[application_id].devices.pop(device_id, None)
        self.network.remove(device.id)

    def application(self, application_id: str) -> Application:
        """The application, created empty if the world did not have it (a key may name it)."""
        return self.applications.setdefault(application_id, Application(application_id))

    def end_device(self, application_id: str, device_id: str) -> EndDevice | None:
        application = self.applications.get(application_id)
        return application.devices.get(device_id) if application else None


def device_uid(application_id: str, device_id: str) -> str:
    return f"{application_id}.{device_id}"


_RX1_DELAYS: dict[int, int] = {}


def _shared_delay(delay: int) -> int:
    """One int object for every device with the same RX1 delay (a world may hold 100 000
    devices, and an int this large is an object of its own); at most 16 kept."""
    shared = _RX1_DELAYS.get(delay)
    if shared is not None:
        return shared
    if len(_RX1_DELAYS) < 16:
        _RX1_DELAYS[delay] = delay
    return delay


def _device(application_id: str, raw: Mapping[str, Any], default_band: str) -> Device:
    session = raw.get("session")
    return Device(
        id=device_uid(application_id, raw["id"]),
        provider="tts",
        dev_eui=raw.get("dev_eui"),
        join_eui=raw.get("join_eui"),
        device_class=DeviceClass(raw.get("class", "A")),
        band=raw.get("band", default_band),
        rx1_delay=_shared_delay(seconds(raw.get("rx1_delay", 5))),
        uplink_interval=seconds(raw["uplink_interval"]) if raw.get("uplink_interval") else None,
        session=Session(
            dev_addr=int(str(session["dev_addr"]), 16),
            session_key_id=bytes.fromhex(session.get("session_key_id", "")),
        )
        if session
        else None,
    )


def _api_key(raw: Mapping[str, Any]) -> ApiKey:
    expires = raw.get("expires_at")
    return ApiKey(
        key=raw["key"],
        application_id=raw["application"],
        rights=frozenset(raw.get("rights", ["RIGHT_APPLICATION_ALL"])),
        name=raw.get("name", ""),
        expires_at=from_datetime(datetime.fromisoformat(expires.replace("Z", "+00:00")))
        if expires
        else None,
        placeholder=bool(raw.get("placeholder", False)),
    )
