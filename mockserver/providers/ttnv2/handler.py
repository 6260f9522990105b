"""V2's Handler for downlinks: `EnqueueDownlink` (request time) and the conversion that runs
when a queued downlink is taken for a receive window (`HandleDownlink`).

Enqueue checks, in V2's order: the device exists (`handler:device:<app>:<dev> not found`),
the payload is not empty (`Downlink Payload not valid: empty`), the schedule is known
(`ScheduleType not valid: unknown`); then `replace` (the default) replaces the queue,
`first` and `last` push. What V2 only found out when sending — both `payload_raw` and
`payload_fields`, fields without an encoder, fields the encoder rejects — is accepted and
fails when the device's next uplink is handled (200 ms after it ends, the scheduler's
decision): the downlink is dropped (a `failed` event with V2's text) and nothing is sent in
that uplink's windows.
"""

from __future__ import annotations

from mockserver.core import Device, Downlink, Network
from mockserver.core.network import NetworkEvent
from mockserver.core.scheduler import DEDUPLICATION_WINDOW, Scheduler
from mockserver.formatters import ttnv2 as formatter_ttnv2
from mockserver.providers.ttnv2 import errors
from mockserver.providers.ttnv2.applications import Application, Registry
from mockserver.providers.ttnv2.downlinks import SCHEDULES, DownlinkMessage
from mockserver.providers.ttnv2.payload_functions import EncodeError


class Handler:
    def __init__(self, registry: Registry, network: Network, scheduler: Scheduler) -> None:
        self.registry = registry
        self.network = network
        self.scheduler = scheduler
        network.subscribe(self._on_event, kinds=("uplink",), providers=("ttnv2",))

    def enqueue(self, application: Application, message: DownlinkMessage) -> Downlink:
        registered = application.devices.get(message.dev_id)
        if registered is None:
            raise errors.not_found(f"handler:device:{application.id}:{message.dev_id}")
        if message.empty:
            raise errors.invalid_argument("Downlink Payload", "empty")
        schedule = message.schedule or "replace"
        if schedule not in SCHEDULES:
            raise errors.invalid_argument("ScheduleType", "unknown")
        downlink = self._convert(application, message)
        device = registered.device
        if schedule == "replace":
            self.network.replace(device, [downlink])
        else:
            self.network.push(device, [downlink], first=schedule == "first")
        return downlink

    def _convert(self, application: Application, message: DownlinkMessage) -> Downlink:
        """The LoRaWAN downlink the message will become; FPort 0 or absent is FPort 1."""
        payload, problem = message.payload_raw, None
        if message.payload_fields:
            if message.payload_raw:
                problem = "Downlink not valid: Both Fields and Payload provided"
            elif application.payload_functions is not None:
                try:  # the application's JavaScript (docs/formatters.md)
                    payload = formatter_ttnv2.encode(
                        application.payload_functions, message.payload_fields, message.port or 1
                    )
                except formatter_ttnv2.FunctionError as error:
                    problem = str(error)
            elif application.encoder is None:
                problem = "Downlink Payload not valid: fields supplied, but no Encoder function set"
            else:
                try:
                    payload = application.encoder.encode(message.payload_fields)
                except EncodeError as error:
                    problem = f"Encoder not valid: {error}"
        extra: dict[str, object] = {"schedule": message.schedule or "replace"}
        if message.payload_fields:
            extra["payload_fields"] = message.payload_fields
        if problem is not None:
            extra["error"] = problem
        return Downlink(
            f_port=message.port or 1,
            frm_payload=payload,
            confirmed=message.confirmed,
            extra=extra,
        )

    def _on_event(self, event: NetworkEvent) -> None:
        """An uplink takes the head of the queue when it is handled (the scheduler's decision,
        200 ms in); a downlink V2 cannot convert fails there instead of being sent."""
        if event.kind != "uplink":
            return
        device = self.network.find(event.device_id)
        if device is None or device.provider != "ttnv2":
            return
        # Registered before the scheduler's own wake-up for this uplink: runs first.
        self.network.clock.call_at(
            event.at + DEDUPLICATION_WINDOW, lambda: self._convert_head(device)
        )

    def _convert_head(self, device: Device) -> None:
        if self.network.find(device.id) is not device:
            return
        head = device.queue.peek()
        if head is not None and head.extra and head.extra.get("error"):
            device.queue.pop()
            self.network.emit("failed", device, [head], reason=head.extra["error"])
            self.scheduler.close_windows(device)
