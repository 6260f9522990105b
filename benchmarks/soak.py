"""`make soak`: a mixed load against a served mockserver, for a while, and what it proves.

Runs `python -m mockserver serve` on a free port (real clock, sped up so that radio windows
come by), with a world whose webhooks and ThingPark reports go to a local receiver that
flaps: it answers, then refuses (503), then is down (connection refused), in turn. Worker
threads send a mix on all four vendors (pushes, replaces, lists, formatter calls, uplinks)
and 1 % hostile requests (oversized bodies, bad JSON, a YAML alias bomb, unknown routes,
bad credentials). Every epoch (20 s) the load pauses: the downlinks accepted in the epoch
are accounted for through the admin API, then the world is reset and a scenario switched.

Each downlink carries a unique 4-byte payload, so its fate can be found in its device's
event timeline: queued, sent, failed, replaced, withdrawn or dropped (or still in the
queue). KPN's MQTT, HTTP and SMS downlinks are found by their KPN record instead.

Prints the 5xx count, the server's RSS at start, after warm-up and at the end (/proc), p50
and p99 latency per minute, and the accounting. Exits 1 on any 5xx, any unaccounted
downlink, RSS growth of 10 % or more after warm-up, a last-minute p99 over twice the
first's, a request of the load that got no answer (30 s), or a server that died. Hostile
requests get 2 s: their timeouts are counted apart.

Environment: SOAK_SECONDS (default 600), SOAK_WORKERS (4), SOAK_EPOCH (20 s),
SOAK_YAML_BOMB (1: include the YAML bomb; 0 leaves it out, for a server that still hangs
on it), SOAK_SPEED (clock speed, 10), SOAK_SERVER_MAX_MIB (cap the server's address space),
SOAK_OUTBOUND (1; 0: no webhooks or reports at all, to tell what delivery costs apart).
"""

from __future__ import annotations

import base64
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.run import free_port
from benchmarks.soak_receiver import FlappingReceiver
from mockserver.world import DEFAULT_WORLD

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "4"))
EPOCH = float(os.environ.get("SOAK_EPOCH", "20"))
YAML_BOMB = os.environ.get("SOAK_YAML_BOMB", "1") != "0"
SPEED = os.environ.get("SOAK_SPEED", "10")
#: A cap on the server's address space (MiB; none by default), so that a server that blows
#: up on the YAML bomb fails alone instead of taking the machine with it.
SERVER_MAX_MIB = int(os.environ.get("SOAK_SERVER_MAX_MIB", "0"))
#: 0: no webhook message types and no ThingPark reports (to tell delivery's share apart).
OUTBOUND = os.environ.get("SOAK_OUTBOUND", "1") != "0"
BUCKET = 60.0  # seconds per latency bucket ("per minute")
HOSTILE_SHARE = 0.01
HOSTILE_TIMEOUT = 2.0
#: RSS is a high-water mark: the world is rebuilt every epoch, and the process keeps the
#: memory its busiest epoch took (the allocator's arenas). It rises until that epoch has been
#: seen, then stays flat; growth is judged over the last two thirds of the run.
WARM_UP = SECONDS / 3

TTS_AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}
TTS_APP2_AUTH = {
    "Authorization": "Bearer NNSXS.JUNKJZHZ2SI2TFE7KALJDNIUTLNN7SJEZJLJXBA."
    "7JBQJVPJS2OYZFFRLDWMNAYCBTKCFOYYWRUSXWFEPI2B4KSCR44Q"
}
TTS_DOWN = "/api/v3/as/applications/{app}/webhooks/{hook}/devices/{device}/down/{op}"
TTS_LIST = "/api/v3/as/applications/{app}/devices/{device}/down"
#: Devices added at the start of each epoch, to spread the load (and to exercise the
#: admin API's device creation): a device's timeline keeps its last 1 000 events only.
ADDED_TTS = [f"soak-{n}" for n in range(1, 5)]
ADDED_TTNV2 = [f"soak-{n}" for n in range(1, 4)]
TTS_DEVICES = [
    ("app1", "wh1", "dev1"),
    ("app1", "wh1", "dev2"),
    ("app2", "wh2", "dev1"),
    *(("app1", "wh1", device) for device in ADDED_TTS),
]
TTNV2_DEVICES = ["my-dev-id", *ADDED_TTNV2]
TTN_DOWN = "/ttn/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret"
TP_BASE = "/core/v141/api/devices/{ref}/downlinkMessages"
TP_REFS = ("1001", "1002")
KPN_LORA_UUID = "f24108fa-d102-40ff-8263-f8d46908a386"
KPN_TARGETS = {
    "lora": "urn:dev:deveui:0004a30b001a2b3c",
    "mqtt": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "http": "imei:356938035643809",
    "sms": "imei:356938035643817",
}
UPLINKERS = (
    *(f"app1.{device}" for device in ADDED_TTS),
    *(f"my-app-id.{device}" for device in ADDED_TTNV2),
    "app1.dev1",
    "app1.dev2",
    "app2.dev1",
    "thingpark.1001",
    "thingpark.1002",
    "my-app-id.my-dev-id",
    f"kpn.{KPN_LORA_UUID}",
)
SCENARIOS = (None, "happy-path", "confirmed-nacked", "gateway-outage", "class-c-instant")
JS_ENCODER = (
    "function encodeDownlink(input) {\n"
    "  var n = input.data.n;\n"
    "  return { bytes: [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255],"
    " fPort: 3 };\n"
    "}\n"
)
YAML_BOMB_TEXT = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


# -- the world and the server ----------------------------------------------------------------
def soak_world(receiver_url: str) -> dict[str, Any]:
    """The default world, its outbound messages pointed at the flapping receiver."""
    world: dict[str, Any] = yaml.safe_load(DEFAULT_WORLD.read_text(encoding="utf-8"))
    messages = ("downlink_queued", "downlink_sent", "downlink_failed", "downlink_ack")
    for application in world["tts"]["applications"]:
        for hook in application.get("webhooks", []):
            hook["base_url"] = f"{receiver_url}/tts"
            for kind in (*messages, "downlink_nack") if OUTBOUND else ():
                hook[kind] = {"path": f"/{kind}"}
    for server in world["thingpark"]["application_servers"]:
        server["url"] = f"{receiver_url}/thingpark"
    if not OUTBOUND:
        world["thingpark"]["application_servers"] = []
    return world


def start_server(world_file: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    command += ["--world", str(world_file), "--speed", SPEED, "--log-level", "off"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_cap_memory
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("soak: the server did not answer /_mock/health within 60 s")


def _cap_memory() -> None:
    if SERVER_MAX_MIB:
        limit = SERVER_MAX_MIB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- what the load sent, and what came back -----------------------------------------------------
@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    five_xx: list[str] = field(default_factory=list)
    hostile: Counter[str] = field(default_factory=Counter)
    hostile_timeouts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    #: This epoch's accepted downlinks: (core device ID, payload) for the core's, and
    #: (KPN api, record ID) for KPN's other bearers.
    accepted: list[tuple[str, bytes]] = field(default_factory=list)
    kpn_accepted: list[tuple[str, str]] = field(default_factory=list)
    accounting: Counter[str] = field(default_factory=Counter)
    unaccounted: list[str] = field(default_factory=list)
    died: str = ""

    def record(self, started: float, label: str, response: httpx.Response, t0: float) -> None:
        elapsed = time.monotonic() - t0
        with self.lock:
            self.latencies[int((t0 - started) // BUCKET)].append(elapsed)
            self.statuses[f"{label} {response.status_code}"] += 1
            if response.status_code >= 500:
                self.five_xx.append(f"{label}: {response.status_code} {response.text[:200]}")


class Load:
    """The worker threads' mix; `pause()`/`resume()` hold them between two requests."""

    def __init__(self, base: str, tally: Tally, started: float) -> None:
        self.base = base
        self.tally = tally
        self.started = started
        self.counter = 0
        self.counter_lock = threading.Lock()
        self.gate = threading.Condition()
        self.paused = False
        self.busy = 0
        self.stop = False
        self.rng = random.Random(19)
        self.thingpark_token = ""
        self.kpn_token = ""

    # -- pausing ---------------------------------------------------------------------------
    def pause(self) -> None:
        with self.gate:
            self.paused = True
            self.gate.wait_for(lambda: self.busy == 0)

    def resume(self) -> None:
        with self.gate:
            self.paused = False
            self.gate.notify_all()

    def _enter(self) -> bool:
        with self.gate:
            self.gate.wait_for(lambda: not self.paused or self.stop)
            if self.stop:
                return False
            self.busy += 1
            return True

    def _leave(self) -> None:
        with self.gate:
            self.busy -= 1
            self.gate.notify_all()

    # -- one worker ------------------------------------------------------------------------
    def worker(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while self._enter():
                try:
                    if rng.random() < HOSTILE_SHARE:
                        self.hostile(rng)
                    else:
                        self.one(client, rng)
                except httpx.HTTPError as error:
                    with self.tally.lock:
                        self.tally.errors[type(error).__name__] += 1
                finally:
                    self._leave()

    def payload(self) -> tuple[int, bytes]:
        with self.counter_lock:
            self.counter += 1
            return self.counter, self.counter.to_bytes(4, "big")

    def send(self, client: httpx.Client, label: str, method: str, url: str, **kw: Any):
        t0 = time.monotonic()
        response = client.request(method, url, **kw)
        self.tally.record(self.started, label, response, t0)
        return response

    def accept(self, device: str, payload: bytes) -> None:
        with self.tally.lock:
            self.tally.accepted.append((device, payload))

    def one(self, client: httpx.Client, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.25:  # TTS push or replace
            app, hook, device = rng.choice(TTS_DEVICES)
            op = "replace" if rng.random() < 0.2 else "push"
            _, payload = self.payload()
            body = {"downlinks": [{"f_port": 2, "frm_payload": base64.b64encode(payload).decode()}]}
            if rng.random() < 0.3:
                body["downlinks"][0]["confirmed"] = True
            url = TTS_DOWN.format(app=app, hook=hook, device=device, op=op)
            auth = TTS_AUTH if app == "app1" else TTS_APP2_AUTH
            response = self.send(client, f"tts {op}", "POST", url, json=body, headers=auth)
            if response.status_code == 200:
                self.accept(f"{app}.{device}", payload)
        elif roll < 0.32:  # formatter call: TTS's JavaScript encoder
            number, payload = self.payload()
            body = {"downlinks": [{"decoded_payload": {"n": number}}]}
            url = TTS_DOWN.format(app="app1", hook="wh1", device="dev2", op="push")
            response = self.send(client, "tts formatter", "POST", url, json=body, headers=TTS_AUTH)
            if response.status_code == 200:
                self.accept("app1.dev2", payload)
        elif roll < 0.40:  # TTS list
            app, _, device = rng.choice(TTS_DEVICES)
            url = TTS_LIST.format(app=app, device=device)
            auth = TTS_AUTH if app == "app1" else TTS_APP2_AUTH
            self.send(client, "tts list", "GET", url, headers=auth)
        elif roll < 0.52:  # TTN v2
            _, payload = self.payload()
            device = rng.choice(TTNV2_DEVICES)
            body = {
                "dev_id": device,
                "port": 1,
                "payload_raw": base64.b64encode(payload).decode(),
            }
            if self.send(client, "ttnv2 down", "POST", TTN_DOWN, json=body).status_code == 202:
                self.accept(f"my-app-id.{device}", payload)
        elif roll < 0.66:  # ThingPark send or list
            ref = rng.choice(TP_REFS)
            headers = {"Authorization": f"Bearer {self.thingpark_bearer(client)}"}
            if rng.random() < 0.7:
                _, payload = self.payload()
                body = {"payloadHex": payload.hex(), "targetPorts": "1"}
                response = self.send(
                    client,
                    "thingpark send",
                    "POST",
                    TP_BASE.format(ref=ref),
                    json=body,
                    headers=headers,
                )
                if response.status_code == 200:
                    self.accept(f"thingpark.{ref}", payload)
            else:
                url = TP_BASE.format(ref=ref)
                response = self.send(client, "thingpark list", "GET", url, headers=headers)
            if response.status_code == 401:  # expired (the clock runs fast): a new one
                self.thingpark_token = ""
        elif roll < 0.90:  # KPN create or list
            api = rng.choice(tuple(KPN_TARGETS))
            headers = {"Authorization": f"Bearer {self.kpn_bearer(client)}"}
            if rng.random() < 0.7:
                _, payload = self.payload()
                message: dict[str, Any] = {
                    "lora": {"payloadHex": payload.hex(), "fPort": 1},
                    "mqtt": {"type": "text", "payload": payload.hex(), "topic": "commands"},
                    "http": {"type": "text", "body": payload.hex()},
                    "sms": {"text": payload.hex()},
                }[api]
                body = {
                    "deviceId": KPN_TARGETS[api],
                    "message": message,
                    "feedbackTimeout": "PT10M",
                }
                response = self.send(
                    client,
                    f"kpn {api} create",
                    "POST",
                    f"/{api}/downlinks",
                    json=body,
                    headers=headers,
                )
                if response.status_code == 201:
                    if api == "lora":
                        self.accept(f"kpn.{KPN_LORA_UUID}", payload)
                    else:
                        with self.tally.lock:
                            self.tally.kpn_accepted.append((api, response.json()["id"]))
            else:
                response = self.send(
                    client,
                    f"kpn {api} list",
                    "GET",
                    f"/{api}/downlinks",
                    params={"limit": 50},
                    headers=headers,
                )
            if response.status_code == 401:  # expired: a new one next time
                self.kpn_token = ""
        else:  # uplinks, which open class A windows and start class C
            device = rng.choice(UPLINKERS)
            self.send(
                client, "uplink", "POST", f"/_mock/devices/{device}/uplinks", json={"ack": True}
            )

    def thingpark_bearer(self, client: httpx.Client) -> str:
        if not self.thingpark_token:
            response = client.post(
                "/admin/latest/api/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "tpe-api/demo@example.com",
                    "client_secret": "demo-secret",
                },
            )
            self.thingpark_token = response.json()["access_token"]
        return self.thingpark_token

    def kpn_bearer(self, client: httpx.Client) -> str:
        if not self.kpn_token:
            response = client.post(
                "/api/v3/idp/oidc/token",
                json={
                    "grant_type": "client_credentials",
                    "audience": "4dc82561-f65f-523g-dek9-6c79ec314f02",
                    "client_id": "demo-client",
                    "client_secret": "demo-secret",
                },
            )
            self.kpn_token = response.json()["access_token"]
        return self.kpn_token

    # -- hostile requests ------------------------------------------------------------------
    def hostile(self, rng: random.Random) -> None:
        kinds = ["oversized", "bad json", "unknown route", "bad credentials"]
        if YAML_BOMB:
            kinds.append("yaml bomb")
        kind = rng.choice(kinds)
        with httpx.Client(base_url=self.base, timeout=HOSTILE_TIMEOUT) as client:
            try:
                if kind == "oversized":
                    url = rng.choice(
                        [TTN_DOWN, "/lora/downlinks", TP_BASE.format(ref="1001"), "/_mock/scenario"]
                    )
                    size = 17 if url.startswith("/_mock") else 2  # MiB: over each limit
                    big = b'{"x":"' + b"x" * (size * 1024 * 1024) + b'"}'
                    kind = f"oversized {url.split('/')[1]}"
                    method = "PUT" if url.startswith("/_mock") else "POST"
                    response = client.request(
                        method, url, content=big, headers={"content-type": "application/json"}
                    )
                elif kind == "bad json":
                    url = TTS_DOWN.format(app="app1", hook="wh1", device="dev1", op="push")
                    response = client.post(url, content=b'{"downlinks": [', headers=TTS_AUTH)
                elif kind == "yaml bomb":
                    response = client.put(
                        "/_mock/scenario",
                        content=YAML_BOMB_TEXT.encode(),
                        headers={"content-type": "application/yaml"},
                    )
                elif kind == "unknown route":
                    response = client.get(rng.choice(["/nowhere", "/_mock/nowhere", "/api/v3/x"]))
                else:
                    bad = {"Authorization": "Bearer NNSXS.BAD.KEY"}
                    url, body = rng.choice(
                        [
                            (TTS_DOWN.format(app="app1", hook="wh1", device="dev1", op="push"), {}),
                            (TTN_DOWN.replace("secret", "wrong"), {"dev_id": "my-dev-id"}),
                            (TP_BASE.format(ref="1001"), {"payloadHex": "01"}),
                            ("/lora/downlinks", {"deviceId": KPN_TARGETS["lora"]}),
                        ]
                    )
                    response = client.post(url, json=body, headers=bad)
                    kind = f"bad credentials {url.split('/')[1]}"
            except httpx.TimeoutException:
                with self.tally.lock:
                    self.tally.hostile_timeouts[kind] += 1
                return
            with self.tally.lock:
                self.tally.hostile[f"{kind} {response.status_code}"] += 1
                if response.status_code >= 500:
                    self.tally.five_xx.append(f"hostile {kind}: {response.status_code}")


# -- accounting --------------------------------------------------------------------------------
FATES = ("sent", "failed", "replaced", "withdrawn", "dropped", "acked", "nacked")


def account(admin: httpx.Client, tally: Tally) -> None:
    """Each downlink accepted this epoch: find its fate in its device's timeline or queue."""
    with tally.lock:
        accepted, tally.accepted = tally.accepted, []
        kpn_accepted, tally.kpn_accepted = tally.kpn_accepted, []
    by_device: dict[str, list[bytes]] = defaultdict(list)
    for device, payload in accepted:
        by_device[device].append(payload)
    for device, payloads in by_device.items():
        events = admin.get(f"/_mock/devices/{device}/events").json()
        queue = admin.get(f"/_mock/devices/{device}/queue").json()
        fates: dict[str, str] = {}
        for event in events:
            for downlink in event.get("downlinks", []):
                payload = downlink["frm_payload"]
                if event["kind"] in FATES or payload not in fates:
                    fates[payload] = event["kind"]
        for downlink in queue:
            fates.setdefault(downlink["frm_payload"], "queued")
        for payload in payloads:
            fate = fates.get(base64.b64encode(payload).decode())
            if fate is None and len(events) >= 1000:
                fate = "beyond the timeline (1000 events)"
            if fate is None:
                tally.unaccounted.append(f"{device} {payload.hex()}")
                fate = "MISSING"
            tally.accounting[fate] += 1
    headers = {"Authorization": f"Bearer {kpn_token(admin)}"} if kpn_accepted else {}
    for api, record in kpn_accepted:
        response = admin.get(f"/{api}/downlinks/{record}", headers=headers)
        if response.status_code == 200:
            tally.accounting[f"kpn record {response.json().get('status', '?')}"] += 1
        else:
            tally.unaccounted.append(f"kpn {api} {record}: {response.status_code}")
            tally.accounting["MISSING"] += 1


def kpn_token(client: httpx.Client) -> str:
    response = client.post(
        "/api/v3/idp/oidc/token",
        json={
            "grant_type": "client_credentials",
            "audience": "4dc82561-f65f-523g-dek9-6c79ec314f02",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
    )
    return str(response.json()["access_token"])


def new_epoch(admin: httpx.Client, number: int) -> None:
    """Reset, switch scenario, set the JavaScript encoder again (a reset drops it)."""
    admin.post("/_mock/reset").raise_for_status()
    for index, device in enumerate(ADDED_TTS, start=1):
        spec = {"provider": "tts", "application_id": "app1", "id": device, "class": "C"}
        spec |= {
            "dev_eui": f"70B3D57ED0AA{index:04X}",
            "session": {"dev_addr": f"260BAA{index:02X}"},
        }
        admin.post("/_mock/devices", json=spec).raise_for_status()
    for index, device in enumerate(ADDED_TTNV2, start=1):
        spec = {"provider": "ttnv2", "application_id": "my-app-id", "id": device}
        spec |= {"dev_eui": f"01020304050607{index:02X}", "dev_addr": f"260112{index:02X}"}
        admin.post("/_mock/devices", json=spec).raise_for_status()
    scenario = SCENARIOS[number % len(SCENARIOS)]
    if scenario is not None:
        admin.put("/_mock/scenario", json={"name": scenario}).raise_for_status()
    admin.put(
        "/_mock/devices/app1.dev2/formatters/down", content=JS_ENCODER.encode()
    ).raise_for_status()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


# -- the run -----------------------------------------------------------------------------------
def main() -> int:
    receiver = FlappingReceiver(free_port(), phase_seconds=5.0)
    receiver.start()
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        world_file = Path(scratch) / "soak-world.yaml"
        world_file.write_text(yaml.safe_dump(soak_world(receiver.url)), encoding="utf-8")
        server = start_server(world_file, port)
        try:
            return run(server, f"http://127.0.0.1:{port}", receiver)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            receiver.stop()


def run(server: subprocess.Popen[bytes], base: str, receiver: FlappingReceiver) -> int:
    tally = Tally()
    started = time.monotonic()
    load = Load(base, tally, started)
    rss_start = rss_mib(server.pid)
    rss_warm = rss_start
    print(
        f"soak: {SECONDS:g} s, {WORKERS} workers, epochs of {EPOCH:g} s, clock x{SPEED}, "
        f"YAML bomb {'on' if YAML_BOMB else 'off'}; "
        f"server pid {server.pid}, RSS {rss_start:.1f} MiB",
        flush=True,
    )
    with httpx.Client(base_url=base, timeout=60) as admin:
        new_epoch(admin, 0)
        threads = [
            threading.Thread(target=load.worker, args=(seed,), daemon=True)
            for seed in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        epoch = 0
        warm_taken = False
        while (elapsed := time.monotonic() - started) < SECONDS:
            time.sleep(min(EPOCH, SECONDS - elapsed))
            load.pause()
            if server.poll() is not None:
                tally.died = f"the server exited with status {server.returncode}"
                print(f"  {tally.died}", flush=True)
                break
            t0 = time.monotonic()
            try:
                account(admin, tally)
            except httpx.HTTPError as error:
                tally.died = f"the admin API did not answer the accounting: {error!r}"
                print(f"  {tally.died}", flush=True)
                break
            accounted_in = time.monotonic() - t0
            if not warm_taken and time.monotonic() - started >= WARM_UP:
                rss_warm, warm_taken = rss_mib(server.pid), True
            epoch += 1
            now = time.monotonic() - started
            print(
                f"  {now:6.0f} s: epoch {epoch}, {sum(tally.statuses.values())} requests, "
                f"5xx {len(tally.five_xx)}, missing {len(tally.unaccounted)}, "
                f"RSS {rss_mib(server.pid):.1f} MiB, accounted in {accounted_in:.1f} s",
                end="",
                flush=True,
            )
            if now < SECONDS:
                t0 = time.monotonic()
                new_epoch(admin, epoch)
                print(f", reset and scenario in {time.monotonic() - t0:.2f} s", end="")
            print(flush=True)
            load.resume()
        load.stop = True
        load.resume()
        for thread in threads:
            thread.join(timeout=60)
        outbound = admin.get("/_mock/outbound").json() if not tally.died else []
    rss_end = rss_mib(server.pid) if not tally.died else 0.0
    return report(tally, rss_start, rss_warm, rss_end, outbound, receiver)


def report(
    tally: Tally,
    rss_start: float,
    rss_warm: float,
    rss_end: float,
    outbound: list[dict[str, Any]],
    receiver: FlappingReceiver,
) -> int:
    print("\nrequests by operation and status:")
    for key, count in sorted(tally.statuses.items()):
        print(f"  {key:32} {count}")
    print("hostile requests:", dict(sorted(tally.hostile.items())))
    print("hostile timeouts (client gave up after 2 s):", dict(tally.hostile_timeouts) or 0)
    print("client errors:", dict(tally.errors) or 0)
    print("receiver:", receiver.summary())
    outcomes = Counter(
        str(attempt.get("outcome", attempt.get("status", "?"))) for attempt in outbound
    )
    print("outbound (last epoch):", dict(outcomes))
    print("\nlatency per minute (ms):")
    minutes = sorted(tally.latencies)
    p99s = []
    for minute in minutes:
        values = tally.latencies[minute]
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        p99s.append(p99)
        print(f"  minute {minute + 1}: n={len(values)} p50={p50 * 1000:.1f} p99={p99 * 1000:.1f}")
    print("\naccounting of accepted downlinks:", dict(sorted(tally.accounting.items())))
    growth = (rss_end - rss_warm) / rss_warm if rss_warm else 0.0
    print(
        f"RSS: start {rss_start:.1f} MiB, after warm-up {rss_warm:.1f} MiB, end {rss_end:.1f} MiB "
        f"({growth:+.1%} after warm-up)"
    )
    print(f"5xx: {len(tally.five_xx)}")
    for line in tally.five_xx[:10]:
        print("  ", line)
    failures = []
    if tally.five_xx:
        failures.append(f"{len(tally.five_xx)} 5xx")
    if tally.unaccounted:
        failures.append(f"{len(tally.unaccounted)} unaccounted downlinks: {tally.unaccounted[:5]}")
    if tally.died:
        failures.append(tally.died)
    if tally.errors:
        failures.append(f"{sum(tally.errors.values())} requests of the load got no answer")
    if growth >= 0.10 and not tally.died:
        failures.append(f"RSS grew {growth:.1%} after warm-up")
    if len(p99s) >= 2 and p99s[-1] > 2 * p99s[0]:
        failures.append(f"p99 of the last minute {p99s[-1] * 1000:.1f} ms > 2x the first's")
    print("\nsoak:", "FAILED: " + "; ".join(failures) if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
