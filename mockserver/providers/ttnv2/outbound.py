"""The HTTP integration's uplink messages, sent to each of the application's integrations.

One request per uplink and integration, with the integration's method (POST by default),
its Authorization header value and custom header, in V2's JSON (`types.UplinkMessage`:
Go's encoding/json, so `false`, `0` and `""` fields are left out except `port`, `counter`,
`payload_raw`, `channel`, `rssi`, `snr` and `rf_chain`; an empty payload is `null`), plus
the `downlink_url` of this simulator for that integration.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mockserver.clock import to_datetime
from mockserver.core.network import NetworkEvent
from mockserver.core.uplinks import Uplink
from mockserver.formatters import ttnv2 as formatter_ttnv2
from mockserver.lorawan.regions import LoRa, band
from mockserver.outbound import OutboundMessage

if TYPE_CHECKING:
    from mockserver.providers.ttnv2.applications import Application, Integration, TTNDevice
    from mockserver.providers.ttnv2.context import TTNv2Context

#: Go's net/http client, which the integration service was written with.
USER_AGENT = "Go-http-client/1.1"


def go_time(instant: int) -> str:
    """time.Time in JSON: RFC 3339 with nanoseconds, trailing zeros trimmed, UTC as Z."""
    moment = to_datetime(instant)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def go_float(value: float) -> float | int:
    """Go writes a whole float32 without a fraction (5, not 5.0)."""
    return int(value) if float(value).is_integer() else value


def downlink_url(public_url: str, application_id: str, integration: Integration) -> str:
    return (
        f"{public_url.rstrip('/')}/{integration.region}/api/v2/down/{application_id}/"
        f"{quote(integration.process_id, safe='')}?key={quote(integration.access_key, safe='')}"
    )


class UplinkPublisher:
    def __init__(self, provider: TTNv2Context) -> None:
        self.provider = provider
        provider.world.network.subscribe(self._on_event, kinds=("uplink",), providers=("ttnv2",))

    def _on_event(self, event: NetworkEvent) -> None:
        if event.kind != "uplink":
            return
        device = self.provider.world.network.find(event.device_id)
        if device is None or device.provider != "ttnv2":
            return
        found = self.provider.registry.find(device)
        if found is None:
            return
        application, registered = found
        targets = [i for i in application.integrations.values() if i.url]
        if not targets:
            return
        uplink = Uplink.from_event(event)
        try:
            message = self.message(application, registered, uplink)
        except formatter_ttnv2.Dropped:
            return  # V2: "Payload not valid: payload validator function returned false"
        for integration in targets:
            body = {
                **message,
                "downlink_url": downlink_url(
                    self.provider.world.public_url, application.id, integration
                ),
            }
            self.provider.world.outbound.send(
                OutboundMessage(
                    provider="ttnv2",
                    kind="uplink",
                    url=integration.url,
                    headers=self._headers(integration),
                    body=json.dumps(body, separators=(",", ":")).encode(),
                    at=event.at,
                    device_id=device.id,
                    method=integration.method,
                )
            )

    def message(
        self, application: Application, registered: TTNDevice, uplink: Uplink
    ) -> dict[str, Any]:
        """The uplink message without its `downlink_url`, in V2's field order."""
        device = registered.device
        message: dict[str, Any] = {
            "app_id": application.id,
            "dev_id": registered.id,
            "hardware_serial": device.dev_eui,
            "port": uplink.f_port or 0,
            "counter": uplink.f_cnt,
        }
        if uplink.confirmed:
            message["confirmed"] = True
        message["payload_raw"] = (
            base64.b64encode(uplink.frm_payload).decode() if uplink.frm_payload else None
        )
        if application.payload_functions is not None:
            # a failing function leaves the fields out; a Validator's no drops the uplink
            try:
                fields = formatter_ttnv2.decode(
                    application.payload_functions, uplink.frm_payload, uplink.f_port or 0
                )
            except formatter_ttnv2.Dropped:
                raise
            except formatter_ttnv2.FunctionError:
                fields = None
            if fields:
                message["payload_fields"] = fields
        elif application.decoder is not None and uplink.frm_payload:
            fields = application.decoder.decode(uplink.frm_payload)
            if fields:
                message["payload_fields"] = fields
        message["metadata"] = self._metadata(registered, uplink)
        return message

    def _metadata(self, registered: TTNDevice, uplink: Uplink) -> dict[str, Any]:
        device = registered.device
        modulation = band(device.band).data_rate(uplink.data_rate).modulation
        metadata: dict[str, Any] = {
            "time": go_time(uplink.received_at),
            "frequency": go_float(round(uplink.frequency / 1_000_000, 6)),
        }
        if isinstance(modulation, LoRa):
            metadata["modulation"] = "LORA"
            metadata["data_rate"] = (
                f"SF{modulation.spreading_factor}BW{modulation.bandwidth_hz // 1000}"
            )
            metadata["coding_rate"] = "4/5"
        else:
            metadata["modulation"] = "FSK"
            metadata["bit_rate"] = modulation.bitrate_bps
        metadata["gateways"] = [
            {
                "gtw_id": f"eui-{reception.gateway.eui.lower()}",
                "timestamp": reception.timestamp,
                "time": go_time(reception.received_at),
                "channel": reception.channel_index,
                "rssi": go_float(reception.rssi),
                "snr": go_float(reception.snr),
                "rf_chain": 0,
                "latitude": reception.gateway.latitude,
                "longitude": reception.gateway.longitude,
                **({"altitude": reception.gateway.altitude} if reception.gateway.altitude else {}),
                "location_source": "registry",
            }
            for reception in self.provider.world.radio.receptions(device.id, uplink)
        ]
        return metadata

    def _headers(self, integration: Integration) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if integration.authorization:
            headers["Authorization"] = integration.authorization
        headers.update(integration.headers)
        return headers
