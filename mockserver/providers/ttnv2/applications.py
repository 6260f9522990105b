"""TTN v2's objects in a world: applications, their access keys, HTTP integrations, payload
functions and devices (class A, as V2 served them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.core import Device, DeviceClass, Network, Session
from mockserver.formatters.ttnv2 import FUNCTIONS, PayloadFunctions
from mockserver.providers.ttnv2.payload_functions import PayloadFunction, payload_function
from mockserver.types import seconds

#: V2 access keys get these rights unless the world says otherwise.
DEFAULT_RIGHTS = ("messages:up:r", "messages:down:w")
DOWNLINK_RIGHT = "messages:down:w"


@dataclass(frozen=True)
class AccessKey:
    key: str
    name: str = ""
    rights: frozenset[str] = frozenset(DEFAULT_RIGHTS)


@dataclass(frozen=True)
class Integration:
    """One HTTP integration of an application (its Process ID names it in the URL)."""

    process_id: str
    url: str = ""
    method: str = "POST"
    authorization: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    access_key: str = ""
    region: str = "ttn-eu"


@dataclass
class TTNDevice:
    id: str
    device: Device


@dataclass
class Application:
    id: str
    access_keys: dict[str, AccessKey] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    encoder: PayloadFunction | None = None
    decoder: PayloadFunction | None = None
    #: The application's JavaScript payload functions (mockserver.formatters.ttnv2).
    payload_functions: PayloadFunctions | None = None
    devices: dict[str, TTNDevice] = field(default_factory=dict)


class Registry:
    """Applications of one world, built from its `ttnv2:` section."""

    def __init__(self, config: Mapping[str, Any], network: Network) -> None:
        self.network = network
        self.default_band: str = config.get("band", "EU868")
        self.applications: dict[str, Application] = {}
        for raw in config.get("applications", []):
            application = Application(
                id=raw["id"],
                access_keys={
                    key["key"]: AccessKey(
                        key["key"],
                        key.get("name", ""),
                        frozenset(key.get("rights", DEFAULT_RIGHTS)),
                    )
                    for key in raw.get("access_keys", [])
                },
                encoder=payload_function(raw.get("encoder")),
                decoder=payload_function(raw.get("decoder")),
                payload_functions=_payload_functions(raw.get("payload_functions")),
            )
            first_key = next(iter(application.access_keys), "")
            for integration in raw.get("integrations", []):
                settings = {**integration}
                settings.setdefault("access_key", first_key)
                application.integrations[integration["process_id"]] = Integration(**settings)
            self.applications[application.id] = application
            for device in raw.get("devices", []):
                self.add_device(application.id, device)

    def add_device(self, application_id: str, raw: Mapping[str, Any]) -> TTNDevice:
        """Register a device (world-file shape) in an application of the world; an unknown
        application is a ValueError: its keys and integrations could not be made up."""
        application = self.applications.get(application_id)
        if application is None:
            raise ValueError(f"the world has no TTN v2 application {application_id!r}")
        device = self.network.add(_device(application_id, raw, self.default_band))
        registered = TTNDevice(raw["id"], device)
        application.devices[raw["id"]] = registered
        return registered

    def remove_device(self, device: Device) -> None:
        application_id, _, device_id = device.id.partition(".")
        application = self.applications.get(application_id)
        if application is not None:
            application.devices.pop(device_id, None)
        self.network.remove(device.id)

    def find(self, device: Device) -> tuple[Application, TTNDevice] | None:
        application_id, _, device_id = device.id.partition(".")
        application = self.applications.get(application_id)
        registered = application.devices.get(device_id) if application else None
        return (application, registered) if application and registered else None


def device_uid(application_id: str, device_id: str) -> str:
    return f"{application_id}.{device_id}"


def _device(application_id: str, raw: Mapping[str, Any], default_band: str) -> Device:
    """V2 devices: class A, RX1 after 1 s, RX2 on SF9 (DR3) in EU868, always activated; the
    downlink for an uplink is taken when the uplink is handled, never by a later push."""
    band_name = raw.get("band", default_band)
    dev_addr = raw.get("dev_addr") or str(raw["dev_eui"])[-8:]
    return Device(
        id=device_uid(application_id, raw["id"]),
        provider="ttnv2",
        dev_eui=str(raw["dev_eui"]).upper(),
        join_eui=str(raw["app_eui"]).upper() if raw.get("app_eui") else None,
        device_class=DeviceClass.A,
        band=band_name,
        rx1_delay=seconds(raw.get("rx1_delay", 1)),
        rx2_data_rate=3 if band_name == "EU868" else None,
        uplink_interval=seconds(raw["uplink_interval"]) if raw.get("uplink_interval") else None,
        late_pushes_use_windows=False,  # V2's handler took the downlink at the uplink
        session=Session(dev_addr=int(str(dev_addr), 16)),
    )


def _payload_functions(raw: Mapping[str, Any] | None) -> PayloadFunctions | None:
    if not raw:
        return None
    return PayloadFunctions(**{key: raw[key] for key in FUNCTIONS if key in raw})
