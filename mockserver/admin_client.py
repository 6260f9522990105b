"""A typed client of the admin API (`/_mock`) of a simulator started elsewhere.

For test code that does not run under pytest, or whose simulator is a CI service or a
`mockserver serve` on a laptop: the same operations as the admin API, with Python types,
and the server's own error text in the exception when it refuses.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable
from typing import Any, Literal, cast

import httpx

from mockserver import tls
from mockserver.defaults import TENANT_HEADER, TOKEN_ENV, TOKEN_HEADER

JSON = dict[str, Any]
ReportFormat = Literal["json", "junit", "markdown"]


def default_url() -> str:
    """Where `mockserver serve` listens unless told otherwise, as `report` and `wait` find
    it: `MOCKSERVER_URL`, else `MOCKSERVER_HOST` and `MOCKSERVER_PORT` (127.0.0.1:8080)."""
    from mockserver.cli_options import environment_url

    return environment_url()


class AdminError(RuntimeError):
    """The admin API refused a call; `status` and `message` are its answer."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.message = message


class AdminClient:
    """The admin API of a running simulator. `tenant` sends every call to that tenant's own
    simulator (the `X-Mockserver-Tenant` header); `token` is the server's admin token
    (default `$MOCKSERVER_ADMIN_TOKEN`), sent with every call; `transport` lets a test drive
    an app in-process (`httpx.ASGITransport`; the app then needs `allow_hosts` naming the
    client's host, such as `MockServer(allow_hosts=["testserver"])`)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        tenant: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        token: str | None = None,
    ) -> None:
        self.url = (url or default_url()).rstrip("/")
        headers = {TENANT_HEADER: tenant} if tenant else {}
        token = token or os.environ.get(TOKEN_ENV)
        if token:
            headers[TOKEN_HEADER] = token
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=tls.default_context(),  # made once per process (mockserver.tls)
        )

    # -- plumbing --------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str | int] | tuple[tuple[str, str], ...] | None = None,
    ) -> httpx.Response:
        response = self._http.request(method, f"/_mock{path}", json=json, params=params)
        if response.is_error:
            raise AdminError(method, path, response.status_code, _error_text(response))
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    # The admin API's description (specs/mockserver-admin.yaml, which the suite checks the
    # routes against) says which answers are an object and which an array of objects.
    def _object(self, method: str, path: str, **kwargs: Any) -> JSON:
        return cast(JSON, self._json(method, path, **kwargs))

    def _list(self, method: str, path: str, **kwargs: Any) -> list[JSON]:
        return cast(list[JSON], self._json(method, path, **kwargs))

    # -- the server ------------------------------------------------------------------------
    def health(self) -> JSON:
        return self._object("GET", "/health")

    def wait(self, timeout: float = 30.0, interval: float = 0.1) -> JSON:
        """Poll `/_mock/health` until the server answers (as `mockserver wait` does), so a
        test can start right after launching `mockserver serve`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except httpx.TransportError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{self.url} did not answer within {timeout:g} s") from None
                time.sleep(interval)

    def reset(self, *, clear_findings: bool = False) -> None:
        """Back to the world's start: devices, queues, journal, clock. The contract findings
        are kept for the run's report unless `clear_findings`."""
        self._call("POST", "/reset", json={"clear_findings": True} if clear_findings else None)

    def clear_findings(self) -> None:
        """Forget the contract findings (violations, warnings, coverage): a new report."""
        self._call("POST", "/contract/clear")

    # -- devices ---------------------------------------------------------------------------
    def devices(self, q: str | None = None, provider: str | None = None) -> list[JSON]:
        """Every device (matching `q`, a piece of the id, DevEUI or bearer, and `provider`),
        however many pages the server answers them in: each `Link: rel="next"` is followed."""
        asked = tuple((name, value) for name, value in (("q", q), ("provider", provider)) if value)
        response = self._call("GET", "/devices", params=asked or None)
        found = cast(list[JSON], response.json())
        while (following := response.links.get("next")) is not None:
            path = following["url"].removeprefix("/_mock")
            response = self._call("GET", path)
            found += cast(list[JSON], response.json())
        return found

    def device(self, device_id: str) -> JSON:
        return self._object("GET", f"/devices/{device_id}")

    def create_device(self, provider: str = "tts", **fields: Any) -> JSON:
        """A device entry of the provider's world section (and, for TTS and TTN v2, its
        `application_id`)."""
        return self._object("POST", "/devices", json={"provider": provider, **fields})

    def update_device(self, device_id: str, **changes: Any) -> JSON:
        """`class`, `band`, `rx1_delay`, `session` (`None` or `{"dev_addr": …}`); pass
        `class` as `**{"class": "C"}`."""
        return self._object("PATCH", f"/devices/{device_id}", json=changes)

    def delete_device(self, device_id: str) -> None:
        self._call("DELETE", f"/devices/{device_id}")

    def queue(self, device_id: str) -> list[JSON]:
        return self._list("GET", f"/devices/{device_id}/queue")

    def clear_queue(self, device_id: str) -> None:
        self._call("DELETE", f"/devices/{device_id}/queue")

    def uplink(
        self,
        device_id: str,
        *,
        f_port: int | None = None,
        frm_payload: bytes = b"",
        confirmed: bool = False,
        ack: bool = False,
        data_rate: int | None = None,
        frequency: int | None = None,
    ) -> JSON:
        """Simulate an uplink ending now (it opens a class A device's receive windows; `ack`
        acknowledges a confirmed downlink)."""
        body: JSON = {
            "frm_payload": base64.b64encode(frm_payload).decode(),
            "confirmed": confirmed,
            "ack": ack,
        }
        for name, value in (("f_port", f_port), ("data_rate", data_rate), ("frequency", frequency)):
            if value is not None:
                body[name] = value
        return self._object("POST", f"/devices/{device_id}/uplinks", json=body)

    def events(self, device_id: str) -> list[JSON]:
        """The device's timeline, oldest first (docs/delivery.md lists the kinds)."""
        return self._list("GET", f"/devices/{device_id}/events")

    # -- time ------------------------------------------------------------------------------
    def clock(self) -> JSON:
        return self._object("GET", "/clock")

    def advance(self, seconds: float) -> JSON:
        """Move the virtual clock (a server started with `--virtual-time`)."""
        return self._object("POST", "/clock/advance", json={"seconds": seconds})

    def run_until_idle(self) -> JSON:
        return self._object("POST", "/clock/run-until-idle")

    # -- scenarios -------------------------------------------------------------------------
    def scenario(self) -> JSON:
        return self._object("GET", "/scenario")

    def load_scenario(self, name: str | None = None, *, yaml: str | None = None) -> JSON:
        """A bundled scenario by name (`mockserver scenario list`), or one given as YAML."""
        if (name is None) == (yaml is None):
            raise ValueError("give a bundled scenario's name or a scenario as YAML text")
        if yaml is not None:
            response = self._http.put(
                "/_mock/scenario",
                content=yaml.encode(),
                headers={"content-type": "application/yaml"},
            )
            if response.is_error:
                raise AdminError("PUT", "/scenario", response.status_code, _error_text(response))
            return cast(JSON, response.json())
        return self._object("PUT", "/scenario", json={"name": name})

    def clear_scenario(self) -> None:
        self._call("DELETE", "/scenario")

    # -- what happened ---------------------------------------------------------------------
    def journal(
        self, *, provider: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> list[JSON]:
        """Exchanges, oldest first, each with its validation result."""
        params = {"provider": provider, "operation": operation, "limit": limit}
        return self._list(
            "GET", "/journal", params={k: v for k, v in params.items() if v is not None}
        )

    def clear_journal(self) -> None:
        self._call("DELETE", "/journal")

    def outbound(self) -> list[JSON]:
        """Webhook and report POSTs the simulator made, with their outcome."""
        return self._list("GET", "/outbound")

    def violations(self, *, since_reset: bool = False) -> list[JSON]:
        """The run's contract violations; `since_reset`: only those since the last reset
        (the current test's)."""
        params = {"since": "reset"} if since_reset else None
        found = self._object("GET", "/contract/violations", params=params)
        return cast(list[JSON], found["violations"])

    def warnings(self, *, since_reset: bool = False) -> list[JSON]:
        """The run's contract warnings (fields the vendor drops); `since_reset` as above."""
        params = {"since": "reset"} if since_reset else None
        found = self._object("GET", "/contract/warnings", params=params)
        return cast(list[JSON], found["warnings"])

    def coverage(self) -> JSON:
        return self._object("GET", "/contract/coverage")

    def report(self, format: ReportFormat = "json", providers: Iterable[str] = ()) -> Any:
        """The CI report: a dict for `json`, text for `junit` and `markdown`."""
        params = (("format", format), *(("provider", name) for name in providers))
        response = self._call("GET", "/report", params=params)
        return response.json() if format == "json" else response.text

    # -- tenants ---------------------------------------------------------------------------
    def tenants(self) -> list[JSON]:
        return cast(list[JSON], self._object("GET", "/tenants")["tenants"])

    def drop_tenant(self, name: str) -> None:
        self._call("DELETE", f"/tenants/{name}")


def _error_text(response: httpx.Response) -> str:
    """The admin API's error text, or the body as it came."""
    try:
        document = response.json()
    except ValueError:
        return response.text
    if isinstance(document, dict):
        for key in ("error", "detail"):
            text = document.get(key)
            if isinstance(text, str):
                return text
    return response.text
