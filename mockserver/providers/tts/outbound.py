"""TTS webhooks: the Application Server's `ApplicationUp` messages POSTed to applications.

One POST per message type a webhook enables (`uplink_message`, `downlink_queued`,
`downlink_sent`, `downlink_ack`, `downlink_nack`, `downlink_failed`), to `base_url` + that
type's path (both RFC 6570 templates), compact JSON with proto field names and zero values
omitted, with the headers TTS sends (research tts-ttn.md §C).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from mockserver.clock import to_datetime
from mockserver.core.network import NetworkEvent
from mockserver.core.uplinks import Uplink
from mockserver.formatters import tts as formatter_tts
from mockserver.lorawan.airtime import phy_payload_size
from mockserver.lorawan.regions import LoRa, band
from mockserver.outbound import OutboundMessage
from mockserver.providers.tts import errors
from mockserver.providers.tts.application_server import ulid
from mockserver.providers.tts.downlinks import NACK_RETRY, represent

if TYPE_CHECKING:
    from mockserver.providers.tts.applications import Application, EndDevice, Webhook
    from mockserver.providers.tts.context import TTSContext

USER_AGENT = "TheThingsStack/3.32.1 (linux/amd64)"
_EVENT_MESSAGES = {
    "queued": "downlink_queued",
    "sent": "downlink_sent",
    "acked": "downlink_ack",
    "nacked": "downlink_nack",
    "failed": "downlink_failed",
    "invalidated": "downlink_queue_invalidated",
}
_TEMPLATE = re.compile(r"\{([/?&]?)([^}]+)\}")


def rfc3339(instant: int) -> str:
    """Go's RFC3339Nano: UTC, fraction with trailing zeros trimmed."""
    moment: datetime = to_datetime(instant)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}000".rstrip("0")
    return text + "Z"


def duration(microseconds: int) -> str:
    """A protobuf Duration in JSON: seconds with the fraction trimmed, then `s`."""
    whole, fraction = divmod(microseconds, 1_000_000)
    return f"{whole}.{fraction:06d}".rstrip("0").rstrip(".") + "s"


def expand(template: str, values: dict[str, str]) -> str:
    """RFC 6570 simple, path (`{/a,b}`) and query (`{?a,b}`, `{&a}`) expressions."""

    def replace(match: re.Match[str]) -> str:
        operator, names = match.group(1), match.group(2).split(",")
        pairs = [(name, values.get(name, "")) for name in names]
        if operator == "/":
            return "".join(f"/{quote(value, safe='')}" for _, value in pairs if value)
        if operator in "?&" and operator:
            found = [f"{name}={quote(value, safe='')}" for name, value in pairs if value]
            return (operator + "&".join(found)) if found else ""
        return ",".join(quote(value, safe="") for _, value in pairs if value)

    return _TEMPLATE.sub(replace, template)


class WebhookPublisher:
    """Turns network events of TTS devices into webhook POSTs."""

    def __init__(self, provider: TTSContext) -> None:
        self.provider = provider
        provider.world.network.subscribe(
            self._on_event, kinds=("uplink", *_EVENT_MESSAGES), providers=("tts",)
        )

    def _on_event(self, event: NetworkEvent) -> None:
        if event.kind != "uplink" and event.kind not in _EVENT_MESSAGES:
            return
        # The application first: in a long simulation most events are of devices whose
        # application publishes nothing, and this is the cheapest way to know.
        application_id, _, device_id = event.device_id.partition(".")
        application = self.provider.registry.applications.get(application_id)
        if application is None or not application.webhooks:
            return
        for hook in application.webhooks.values():
            if not hook.paused and hook.messages:
                break
        else:
            return  # no webhook of the application publishes anything
        device = self.provider.world.network.find(event.device_id)
        if device is None or device.provider != "tts":
            return
        end_device = application.devices.get(device_id)
        if end_device is None:
            return
        if event.kind == "uplink":
            uplink = Uplink.from_event(event)
            self._publish(
                application,
                end_device,
                event.at,
                "uplink_message",
                lambda: self._uplink_message(end_device, uplink),
                [f"as:up:{self._ulid(event.at)}", f"gs:uplink:{self._ulid(event.at)}"],
            )
            return
        message_type = _EVENT_MESSAGES.get(event.kind)
        if message_type is None:
            return
        if message_type == "downlink_queue_invalidated":  # one message for the whole queue
            session = end_device.device.session
            invalidated = {
                "downlinks": [represent(downlink) for downlink in event.downlinks],
                "last_f_cnt_down": session.last_f_cnt_down if session else 0,
            }
            self._publish(
                application,
                end_device,
                event.at,
                message_type,
                lambda: invalidated,
                [f"as:downlink:invalidated:{self._ulid(event.at)}"],
            )
            return
        for downlink in event.downlinks:
            if message_type == "downlink_queued" and (downlink.extra or {}).get(NACK_RETRY):
                continue  # TTS: a NACKed downlink is pushed again without a new message
            body = represent(downlink)
            if message_type == "downlink_failed":
                failure = errors.DOWNLINK_FAILURES.get(str(event.details.get("reason")))
                attributes = {k: v for k, v in event.details.items() if k != "reason"}
                payload: dict[str, Any] = {"downlink": body}
                if failure is not None:
                    payload["error"] = failure(**attributes).details(self.provider.rng, top=False)
            else:
                payload = body

            def message(bound: dict[str, Any] = payload) -> dict[str, Any]:
                return bound

            self._publish(
                application,
                end_device,
                event.at,
                message_type,
                message,
                list(downlink.correlation_ids),
            )

    # -- messages --------------------------------------------------------------------------
    def _publish(
        self,
        application: Application,
        end_device: EndDevice,
        at: int,
        message_type: str,
        payload: Callable[[], dict[str, Any]],
        correlation_ids: list[str],
    ) -> None:
        hooks = [
            hook
            for hook in application.webhooks.values()
            if not hook.paused and message_type in hook.messages
        ]
        if not hooks:
            return
        envelope = {
            "end_device_ids": self._end_device_ids(application.id, end_device),
            "correlation_ids": correlation_ids,
            "received_at": rfc3339(at),
            message_type: payload(),
        }
        body = json.dumps(_omit_empty(envelope), separators=(",", ":")).encode()
        for hook in hooks:
            self.provider.world.outbound.send(
                OutboundMessage(
                    provider="tts",
                    kind=message_type,
                    url=self._url(application.id, end_device, hook, message_type),
                    headers=self._headers(application.id, end_device, hook),
                    body=body,
                    at=at,
                    device_id=end_device.device.id,
                )
            )

    def _end_device_ids(self, application_id: str, end_device: EndDevice) -> dict[str, Any]:
        device = end_device.device
        return {
            "device_id": end_device.device_id,
            "application_ids": {"application_id": application_id},
            "dev_eui": device.dev_eui,
            "join_eui": device.join_eui,
            "dev_addr": f"{device.session.dev_addr:08X}" if device.session else None,
        }

    def _uplink_message(self, end_device: EndDevice, uplink: Uplink) -> dict[str, Any]:
        device = end_device.device
        region = band(device.band)
        modulation = region.data_rate(uplink.data_rate).modulation
        data_rate = (
            {
                "lora": {
                    "bandwidth": modulation.bandwidth_hz,
                    "spreading_factor": modulation.spreading_factor,
                    "coding_rate": "4/5",
                }
            }
            if isinstance(modulation, LoRa)
            else {"fsk": {"bit_rate": modulation.bitrate_bps}}
        )
        airtime = region.data_rate(uplink.data_rate).time_on_air(
            phy_payload_size(len(uplink.frm_payload), has_fport=uplink.f_port is not None)
        )
        receptions = self.provider.world.radio.receptions(device.id, uplink)
        first = receptions[0] if receptions else None
        application = self.provider.registry.applications[device.id.split(".", 1)[0]]
        formatter = formatter_tts.select(
            end_device.formatters,
            end_device.formatter,
            application.default_formatters,
            application.formatter,
        )
        decoded = formatter_tts.uplink_fields(
            formatter, uplink.frm_payload, uplink.f_port or 0, uplink.received_at // 1000
        )
        return {
            "session_key_id": base64.b64encode(device.session.session_key_id).decode()
            if device.session
            else None,
            "f_port": uplink.f_port,
            "f_cnt": uplink.f_cnt,
            "frm_payload": base64.b64encode(uplink.frm_payload).decode(),
            **decoded,  # decoded_payload and what comes with it (docs/formatters.md)
            "rx_metadata": [
                {
                    "gateway_ids": {"gateway_id": r.gateway.gateway_id, "eui": r.gateway.eui},
                    "time": rfc3339(r.received_at),
                    "timestamp": r.timestamp,
                    "rssi": r.rssi,
                    "channel_rssi": r.rssi,
                    "snr": r.snr,
                    "location": {
                        "latitude": r.gateway.latitude,
                        "longitude": r.gateway.longitude,
                        "altitude": r.gateway.altitude,
                        "source": "SOURCE_REGISTRY",
                    },
                    "channel_index": r.channel_index,
                    "received_at": rfc3339(r.received_at),
                }
                for r in receptions
            ],
            "settings": {
                "data_rate": data_rate,
                "frequency": str(uplink.frequency),
                "timestamp": first.timestamp if first else None,
                "time": rfc3339(uplink.received_at),
            },
            "received_at": rfc3339(uplink.received_at),
            "confirmed": uplink.confirmed,
            "consumed_airtime": duration(airtime),
        }

    def _url(
        self, application_id: str, end_device: EndDevice, hook: Webhook, message_type: str
    ) -> str:
        device = end_device.device
        values = {
            "appID": application_id,
            "applicationID": application_id,
            "devID": end_device.device_id,
            "deviceID": end_device.device_id,
            "devEUI": device.dev_eui or "",
            "joinEUI": device.join_eui or "",
            "appEUI": device.join_eui or "",
            "devAddr": f"{device.session.dev_addr:08X}" if device.session else "",
        }
        base = expand(hook.base_url, values)
        path = expand(hook.messages[message_type], values)
        if base.endswith("/") and path.startswith("/"):
            path = path[1:]
        return base + path

    def _headers(self, application_id: str, end_device: EndDevice, hook: Webhook) -> dict[str, str]:
        public = self.provider.world.public_url.rstrip("/")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Tts-Domain": urlsplit(public).netloc,
        }
        if hook.downlink_api_key:
            down = (
                f"{public}/api/v3/as/applications/{application_id}/webhooks/{hook.id}"
                f"/devices/{end_device.device_id}/down"
            )
            headers.update(
                {
                    "X-Downlink-Apikey": hook.downlink_api_key,
                    "X-Downlink-Push": f"{down}/push",
                    "X-Downlink-Replace": f"{down}/replace",
                }
            )
        for name, value in hook.headers.items():  # user headers win, User-Agent included
            for existing in [key for key in headers if key.lower() == name.lower()]:
                del headers[existing]
            headers[name] = value
        return headers

    def _ulid(self, at: int) -> str:
        return ulid(at, self.provider.rng)


def _omit_empty(value: Any) -> Any:
    """jsonpb without EmitUnpopulated: null, false, 0, "", {} and [] fields are left out."""
    if isinstance(value, formatter_tts.Verbatim):
        return dict(value)  # a Struct's values are values: kept as they are
    if isinstance(value, dict):
        cleaned = {key: _omit_empty(item) for key, item in value.items()}
        # A Struct is a message: once set it is written, even empty (`decoded_payload: {}`).
        return {
            key: item
            for key, item in cleaned.items()
            if isinstance(value[key], formatter_tts.Verbatim) or not _is_zero(item)
        }
    if isinstance(value, list):
        return [_omit_empty(item) for item in value]
    return value


def _is_zero(value: Any) -> bool:
    return value is None or value is False or value in ("", 0, {}, [])
