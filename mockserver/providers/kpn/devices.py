"""KPN Things devices in a world: identities, owner, bearer, encoder; and how they are named.

A device is addressed in requests by any of its identities (`deviceId` in the protocol
APIs, the SenML `bn` in `/downlinks`): its Things UUID, `deveui:`/`imei:`/`dvnuuid:`
forms, or the `urn:dev:…` URNs, case-insensitively and with or without the URN's
trailing colon, as the specs' `DeviceId` patterns allow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.core import Device, DeviceClass, DeviceExists, Network, Session
from mockserver.types import SECOND

PROVIDER = "kpn"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_KINDS = ("deveui", "imei", "dvnuuid")


@dataclass
class KpnDevice:
    uuid: str
    client: str
    bearer: str  # lora, mqtt, http, sms
    core: Device
    name: str = ""
    dev_eui: str | None = None
    imei: str | None = None
    dvnuuid: str | None = None
    iccid: str | None = None
    tags: tuple[str, ...] = ()
    encoder: dict[str, Any] = field(default_factory=dict)

    def identities(self) -> list[str]:
        """Normal forms (see `normalise`) that address this device."""
        keys = [self.uuid]
        for kind in _KINDS:
            value = getattr(self, "dev_eui" if kind == "deveui" else kind)
            if value:
                keys.append(f"{kind}:{value.lower()}")
        return keys


def normalise(identifier: str) -> str | None:
    """`urn:dev:DEVEUI:0004A3…:` → `deveui:0004a3…`; a bare UUID stays as is; else None."""
    value = identifier.strip().lower()
    if value.startswith("urn:dev:"):
        value = value[len("urn:dev:") :].rstrip(":")
        if value.count(":") != 1:
            return None
    if _UUID.match(value):
        return value
    kind, _, rest = value.partition(":")
    return f"{kind}:{rest}" if kind in _KINDS and rest else None


class DeviceBook:
    """The world's KPN devices, by every identity they answer to."""

    def __init__(self, config: Mapping[str, Any], network: Network) -> None:
        self.network = network
        self._devices: dict[str, KpnDevice] = {}
        self._by_identity: dict[str, KpnDevice] = {}
        for spec in config.get("devices") or []:
            self.add(spec)

    def add(self, spec: Mapping[str, Any]) -> KpnDevice:
        uuid = spec["uuid"].lower()
        if uuid in self._devices:
            raise DeviceExists(f"{PROVIDER}.{uuid}")
        bearer = spec["bearer"]
        core = Device(id=f"{PROVIDER}.{uuid}", provider=PROVIDER, bearer=bearer)
        if bearer == "lora":
            if not spec.get("dev_eui"):
                raise ValueError(f"LoRa device {uuid} needs a dev_eui")
            core.dev_eui = spec["dev_eui"].upper()
            core.device_class = DeviceClass(spec.get("class", "A"))
            core.band = spec.get("band", "EU868")
            core.rx1_delay = spec.get("rx1_delay", 1) * SECOND
            if spec.get("session"):
                core.session = Session(dev_addr=int(spec["session"]["dev_addr"], 16))
        device = KpnDevice(
            uuid=uuid,
            client=spec["client"],
            bearer=bearer,
            core=core,
            name=spec.get("name", ""),
            dev_eui=spec.get("dev_eui"),
            imei=spec.get("imei"),
            dvnuuid=spec.get("dvnuuid"),
            iccid=spec.get("iccid"),
            tags=tuple(spec.get("tags") or ()),
            encoder=dict(spec.get("encoder") or {}),
        )
        taken = [key for key in device.identities() if key in self._by_identity]
        if taken:
            raise ValueError(f"identity {taken[0]} is already used by another device")
        self.network.add(core)
        self._devices[uuid] = device
        for key in device.identities():
            self._by_identity[key] = device
        return device

    def remove(self, device: KpnDevice) -> None:
        self._devices.pop(device.uuid, None)
        for key in device.identities():
            self._by_identity.pop(key, None)
        self.network.remove(device.core.id)

    def resolve(self, identifier: str) -> KpnDevice | None:
        key = normalise(identifier)
        return self._by_identity.get(key) if key else None

    def by_core_id(self, core_id: str) -> KpnDevice | None:
        return self._devices.get(core_id.removeprefix(f"{PROVIDER}."))

    def __iter__(self) -> Iterator[KpnDevice]:
        return iter(list(self._devices.values()))
