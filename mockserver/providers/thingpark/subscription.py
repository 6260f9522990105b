"""ThingPark's objects in a world: one subscriber's devices, DX clients and application servers.

A device is addressed three ways on DX Core (research A2): its internal `ref`, its DevEUI in
any case, or `e` followed by the uppercase DevEUI (the Things Management `deviceUid` form).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.core import Device, DeviceClass, DeviceExists, Network, Session
from mockserver.types import seconds

DEFAULT_CUSTOMER_ID = "100000000"


@dataclass(frozen=True)
class Client:
    client_id: str  # <targetProfile>/<user>
    client_secret: str


@dataclass(frozen=True)
class ApplicationServer:
    """Where the LRC pushes reports for a device, and the key that signs them."""

    id: str  # AS_ID
    url: str
    key: str  # AsKey, 128-bit lowercase hex
    downlink_sent_reports: bool = True


@dataclass
class ThingParkDevice:
    """ThingPark's view of a device: the core device plus its profile's downlink rules."""

    device: Device
    ref: str
    application_server: ApplicationServer | None
    confirmed_downlinks: bool = True
    security_params_required: bool = False
    downlinks_disabled: bool = False

    @property
    def dev_eui(self) -> str:
        return self.device.dev_eui or ""


class Subscription:
    """The subscriber's devices, clients and application servers, from a world's `thingpark:`."""

    def __init__(self, config: Mapping[str, Any], network: Network) -> None:
        self.customer_id: str = config.get("customer_id", DEFAULT_CUSTOMER_ID)
        self.network = network
        self.band: str = config.get("band", "EU868")
        self.clients = {
            raw["client_id"]: Client(raw["client_id"], raw["client_secret"])
            for raw in config.get("clients", [])
        }
        self.application_servers = {
            raw["id"]: ApplicationServer(
                raw["id"], raw["url"], raw["key"], raw.get("downlink_sent_reports", True)
            )
            for raw in config.get("application_servers", [])
        }
        self.devices: dict[str, ThingParkDevice] = {}  # by ref
        self._by_eui: dict[str, ThingParkDevice] = {}
        for raw in config.get("devices", []):
            self.add_device(raw)

    def add_device(self, raw: Mapping[str, Any]) -> ThingParkDevice:
        ref = str(raw["ref"])
        dev_eui = str(raw["dev_eui"]).upper()
        if ref in self.devices or dev_eui in self._by_eui:
            raise DeviceExists(f"thingpark ref {ref} / DevEUI {dev_eui}")
        server_id = raw.get("application_server")
        if server_id is None and len(self.application_servers) == 1:
            server_id = next(iter(self.application_servers))
        if server_id is not None and server_id not in self.application_servers:
            raise ValueError(f"device {ref}: unknown application server {server_id!r}")
        dev_addr = raw.get("dev_addr") or f"{int(ref) % 2**25:08X}"
        device = self.network.add(
            Device(
                id=device_uid(ref),
                provider="thingpark",
                dev_eui=dev_eui,
                device_class=DeviceClass(raw.get("class", "A")),
                band=raw.get("band", self.band),
                rx1_delay=seconds(raw.get("rx1_delay", 1)),
                uplink_interval=seconds(raw["uplink_interval"])
                if raw.get("uplink_interval")
                else None,
                session=Session(dev_addr=int(dev_addr, 16)),
                labels={"name": raw.get("name", "")} if raw.get("name") else {},
            )
        )
        entry = ThingParkDevice(
            device=device,
            ref=ref,
            application_server=self.application_servers.get(server_id) if server_id else None,
            confirmed_downlinks=raw.get("confirmed_downlinks", True),
            security_params_required=raw.get("security_params_required", False),
            downlinks_disabled=raw.get("downlinks_disabled", False),
        )
        self.devices[ref] = entry
        self._by_eui[dev_eui] = entry
        return entry

    def remove_device(self, device: Device) -> None:
        entry = self.for_device(device)
        if entry is not None:
            del self.devices[entry.ref]
            del self._by_eui[entry.dev_eui]
        self.network.remove(device.id)

    def for_device(self, device: Device) -> ThingParkDevice | None:
        return self.devices.get(device.id.removeprefix(DEVICE_UID_PREFIX))

    def find(self, reference: str) -> ThingParkDevice | None:
        """The device a DX path names: ref, DevEUI in any case, or `e` + uppercase DevEUI."""
        if reference in self.devices:
            return self.devices[reference]
        if len(reference) == 17 and reference[0] == "e" and reference[1:] == reference[1:].upper():
            return self._by_eui.get(reference[1:])
        if len(reference) == 16:
            return self._by_eui.get(reference.upper())
        return None


DEVICE_UID_PREFIX = "thingpark."


def device_uid(ref: str) -> str:
    """The core device ID: unique across providers in one world."""
    return DEVICE_UID_PREFIX + ref
