"""Reports the LRC POSTs to a device's application server (research A8).

`DevEUI_uplink` on every uplink; `DevEUI_downlink_Sent` when a frame goes out
(DeliveryStatus 1) or, once accepted, is not sent after all (DeliveryStatus 0 with a
DeliveryFailedCause: E0 class C expiry, E1/E4 discarded from the queue, all on cause 1; A0
on the slot of the window a gateway did not transmit in); and
`DevEUI_downlink_Rejected` (DeliveryStatus 350) only when the network refuses the frame
itself before transmission (too long for every window's data rate, tunnel code 116).
Each POST goes to the AS URL plus `LrnDevEui=…&LrnFPort=…&LrnInfos=…&AS_ID=…&Time=…&Token=…`,
where `Token = SHA-256(body elements + that query string without Token, unencoded + AsKey)`,
lowercase hex; `Time` is percent-encoded only after hashing. Body elements:
uplink `CustomerID+DevEUI+FPort+FCntUp+payload_hex` (documented); downlink sent
`CustomerID+DevEUI+FPort+FCntDn` (third-party code); rejected `CustomerID+DevEUI+FPort`
(mockserver's choice). Numbers are JSON numbers, as in current ThingPark samples.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mockserver.clock import to_datetime
from mockserver.core.network import NetworkEvent
from mockserver.core.uplinks import Uplink
from mockserver.lorawan.regions import LoRa, band
from mockserver.outbound import OutboundMessage
from mockserver.providers.thingpark.lrc import CLASS_C_EXPIRED_CAUSE
from mockserver.providers.thingpark.subscription import ApplicationServer, ThingParkDevice
from mockserver.types import Micros

if TYPE_CHECKING:
    from mockserver.providers.thingpark.context import ThingParkContext

USER_AGENT = "ACTILITY-LRCLRN-DEVICE-AGENT/1.0"
LRC_ID = "00000201"
CUSTOMER_DATA = {"alr": {"pro": "LORA/Generic", "ver": "1"}}
#: Rejection text for a frame too long for every window's data rate (tunnel code 116).
TOO_LONG_FOR_DATA_RATE = "Invalid payload size according to current DR"
#: Core failure reasons that are refusals of the frame itself: DevEUI_downlink_Rejected.
REJECTION_CAUSES = {"application_downlink_too_long": TOO_LONG_FOR_DATA_RATE}
#: core scheduler window -> DevEUI_downlink_Sent TransmissionSlot (1 RX1, 2 RX2, 3 ping slot)
TRANSMISSION_SLOTS = {"RX1": 1, "RX2": 2, "RXC": 2, "PING": 3}
#: core scheduler window -> which DeliveryFailedCause (1 RX1, 2 RX2 and class C, 3 ping slot)
CAUSE_FIELDS = {"RX1": 1, "RX2": 2, "RXC": 2, "PING": 3}
REJECTED_DELIVERY_STATUS = 350
NO_CAUSE = "00"
#: "Frame discarded from the downlink queue" causes, on DeliveryFailedCause1 as the Wireless
#: Logger guide lists them (E0 too, though the tpx-iot-flow-doc field list puts it on cause 2).
QUEUE_FULL = "E1"  # the network evicts a queued frame (scenario `evicted`)
QUEUE_RESET = "E4"  # "Queue reset following a rejoin" (core event `invalidated`)
#: "Transmission slot busy": the gateway did not transmit (scenario `gateway_failure`, or a
#: gateway outage when the frame's turn came).
RADIO_STOPPED = "A0"
_EVENT_KINDS = ("uplink", "sent", "dropped", "failed", "invalidated")


@dataclass(frozen=True)
class Delivery:
    """What a DevEUI_downlink_Sent says about one frame: sent over the air (1) or not (0),
    the three slot causes, and the window the LRC gave it (None: it never got one)."""

    status: int
    causes: tuple[str, str, str]
    window: str | None = None


def _causes(cause: str, field: int) -> tuple[str, str, str]:
    """`cause` in DeliveryFailedCause`field` (1..3), "00" in the other two."""
    causes = [NO_CAUSE, NO_CAUSE, NO_CAUSE]
    causes[field - 1] = cause
    return causes[0], causes[1], causes[2]


def delivery(event: NetworkEvent) -> Delivery:
    """How a `sent`, `dropped`, `invalidated` or non-rejection `failed` event is reported."""
    window = event.details.get("window")
    if event.kind == "sent":
        return Delivery(1, _window_causes(str(window), NO_CAUSE), str(window))
    if event.kind == "invalidated":
        return Delivery(0, _causes(QUEUE_RESET, 1))
    if event.kind == "dropped":
        cause = str(event.details.get("cause", CLASS_C_EXPIRED_CAUSE))
        return Delivery(0, _causes(cause, 1))
    if window is None:  # failed while still queued: the network discarded it
        return Delivery(0, _causes(QUEUE_FULL, 1))
    return Delivery(0, _window_causes(str(window), RADIO_STOPPED), str(window))


def _window_causes(window: str, cause: str) -> tuple[str, str, str]:
    """`cause` on the window's slot; a class A frame given RX2 was passed over for RX1 (C0)."""
    causes = _causes(cause, CAUSE_FIELDS.get(window, 1))
    return ("C0", causes[1], causes[2]) if window == "RX2" else causes


def report_time(instant: Micros) -> str:
    """ThingPark's report time: ISO 8601, milliseconds, explicit `+00:00` offset."""
    moment = to_datetime(instant)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def report_token(body_elements: str, query: str, as_key: str) -> str:
    return hashlib.sha256((body_elements + query + as_key).encode()).hexdigest()


class ReportPublisher:
    """Turns network events of ThingPark devices into reports to their application server."""

    def __init__(self, provider: ThingParkContext) -> None:
        self.provider = provider
        self.sequence = 0
        provider.world.network.subscribe(
            self._on_event, kinds=_EVENT_KINDS, providers=("thingpark",)
        )

    def _on_event(self, event: NetworkEvent) -> None:
        if event.kind not in _EVENT_KINDS:
            return
        device = self.provider.world.network.find(event.device_id)
        if device is None or device.provider != "thingpark":
            return
        entry = self.provider.subscription.for_device(device)
        if entry is None or entry.application_server is None:
            return
        server = entry.application_server
        if event.kind == "uplink":
            self._uplink(entry, server, event)
            return
        reason = str(event.details.get("reason")) if event.kind == "failed" else ""
        rejection = REJECTION_CAUSES.get(reason)
        for downlink in event.downlinks:
            correlation = downlink.correlation_ids[0] if downlink.correlation_ids else None
            if rejection is not None:
                self._rejected(entry, server, event.at, downlink.f_port, rejection)
            elif server.downlink_sent_reports:
                self._sent(entry, server, event, downlink.f_port, correlation)

    # -- reports ---------------------------------------------------------------------------
    def _uplink(
        self, entry: ThingParkDevice, server: ApplicationServer, event: NetworkEvent
    ) -> None:
        uplink = Uplink.from_event(event)
        device = entry.device
        region = band(device.band)
        modulation = region.data_rate(uplink.data_rate).modulation
        receptions = self.provider.world.radio.receptions(device.id, uplink)
        best = max(receptions, key=lambda r: r.snr)
        payload_hex = uplink.frm_payload.hex()
        f_port = "" if uplink.f_port is None else str(uplink.f_port)
        session = device.session
        report: dict[str, Any] = {
            "Time": report_time(uplink.received_at),
            "DevEUI": entry.dev_eui,
            "FPort": uplink.f_port,
            "FCntUp": uplink.f_cnt,
            "ADRbit": 1,
            "MType": 4 if uplink.confirmed else 2,
            "FCntDn": session.last_f_cnt_down if session else 0,
            "payload_hex": payload_hex,
            "mic_hex": hashlib.sha256(f"{device.id}:{uplink.f_cnt}".encode()).hexdigest()[:8],
            "Lrcid": LRC_ID,
            "LrrRSSI": best.rssi,
            "LrrSNR": best.snr,
            "SpFact": modulation.spreading_factor if isinstance(modulation, LoRa) else 0,
            "SubBand": "G1",
            "Channel": f"LC{best.channel_index + 1}",
            "DevLrrCnt": len(receptions),
            "Lrrid": best.gateway.eui[-8:],
            "Late": 0,
            "LrrLAT": best.gateway.latitude,
            "LrrLON": best.gateway.longitude,
            "Lrrs": {
                "Lrr": [
                    {
                        "Lrrid": r.gateway.eui[-8:],
                        "Chain": 0,
                        "LrrRSSI": r.rssi,
                        "LrrSNR": r.snr,
                        "LrrESP": _esp(r.rssi, r.snr),
                    }
                    for r in receptions
                ]
            },
            "CustomerID": self.provider.subscription.customer_id,
            "CustomerData": CUSTOMER_DATA,
            "ModelCfg": "0",
            "DevAddr": f"{session.dev_addr:08X}" if session else "",
            "AckRequested": 1 if uplink.confirmed else 0,
            "DynamicClass": device.device_class.value,
        }
        if uplink.f_port is None:
            del report["FPort"]
        if uplink.ack:
            report["ACKbit"] = 1
        elements = (
            self.provider.subscription.customer_id
            + entry.dev_eui
            + f_port
            + str(uplink.f_cnt)
            + payload_hex
        )
        self._post(entry, server, "DevEUI_uplink", report, uplink.received_at, f_port, elements)

    def _sent(
        self,
        entry: ThingParkDevice,
        server: ApplicationServer,
        event: NetworkEvent,
        f_port: int,
        correlation: str | None,
    ) -> None:
        device = entry.device
        session = device.session
        f_cnt_down = session.last_f_cnt_down if session else 0
        outcome = delivery(event)
        report: dict[str, Any] = {
            "Time": report_time(event.at),
            "DevEUI": entry.dev_eui,
            "FPort": f_port,
            "FCntDn": f_cnt_down,
            "FCntUp": session.last_f_cnt_up if session else 0,
            "Lrcid": LRC_ID,
        }
        if outcome.window is not None:  # the LRC chose a window: its radio parameters
            data_rate = band(device.band).data_rate(int(event.details["data_rate"]))
            modulation = data_rate.modulation
            report.update(
                {
                    "SpFact": modulation.spreading_factor if isinstance(modulation, LoRa) else 0,
                    "SubBand": "G1",
                    "Channel": "LC1",
                    "Lrrid": self.provider.world.radio.gateways[0].eui[-8:],
                }
            )
        report.update(
            {
                "DeliveryStatus": outcome.status,
                "DeliveryFailedCause1": outcome.causes[0],
                "DeliveryFailedCause2": outcome.causes[1],
                "DeliveryFailedCause3": outcome.causes[2],
                "TransmissionSlot": TRANSMISSION_SLOTS.get(outcome.window or "", 0),
            }
        )
        if outcome.window is not None:
            report["Frequency"] = int(event.details["frequency"]) / 1_000_000
        report["CustomerID"] = self.provider.subscription.customer_id
        report["CustomerData"] = CUSTOMER_DATA
        if correlation is not None:
            report["CorrelationID"] = correlation
        elements = self.provider.subscription.customer_id + entry.dev_eui + str(f_port)
        elements += str(f_cnt_down)
        self._post(entry, server, "DevEUI_downlink_Sent", report, event.at, str(f_port), elements)

    def _rejected(
        self,
        entry: ThingParkDevice,
        server: ApplicationServer,
        at: Micros,
        f_port: int,
        cause: str,
    ) -> None:
        report = {
            "Time": report_time(at),
            "DevEUI": entry.dev_eui,
            "FPort": f_port,
            "DeliveryStatus": REJECTED_DELIVERY_STATUS,
            "DownlinkRejectionCause": cause,
            "CustomerID": self.provider.subscription.customer_id,
        }
        elements = self.provider.subscription.customer_id + entry.dev_eui + str(f_port)
        self._post(entry, server, "DevEUI_downlink_Rejected", report, at, str(f_port), elements)

    # -- delivery --------------------------------------------------------------------------
    def _post(
        self,
        entry: ThingParkDevice,
        server: ApplicationServer,
        kind: str,
        report: dict[str, Any],
        at: Micros,
        f_port: str,
        body_elements: str,
    ) -> None:
        self.sequence += 1
        time = report_time(at)
        infos = f"{server.id}-1-{self.sequence}"
        signed = (
            f"LrnDevEui={entry.dev_eui}&LrnFPort={f_port}&LrnInfos={infos}"
            f"&AS_ID={server.id}&Time={time}"
        )
        token = report_token(body_elements, signed, server.key)
        query = (
            f"LrnDevEui={entry.dev_eui}&LrnFPort={f_port}&LrnInfos={quote(infos, safe='')}"
            f"&AS_ID={quote(server.id, safe='')}&Time={quote(time, safe='')}&Token={token}"
        )
        separator = "&" if "?" in server.url else "?"
        self.provider.world.outbound.send(
            OutboundMessage(
                provider="thingpark",
                kind=kind,
                url=server.url + separator + query,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
                body=json.dumps({kind: report}, separators=(",", ":")).encode(),
                at=at,
                device_id=entry.device.id,
            )
        )


def _esp(rssi: float, snr: float) -> float:
    """Estimated signal power: RSSI + SNR - 10·log10(1 + 10^(SNR/10))."""
    return round(rssi + snr - 10 * math.log10(1 + 10 ** (snr / 10)), 6)
