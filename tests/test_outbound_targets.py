"""Where outbound messages may go (issue 19, item 13): link-local and cloud-metadata
addresses are refused as webhook, integration and report targets, in world files, in
TTS's webhook registry and when a name resolves to one at send time, unless
`--outbound-allow` (`MockServer(outbound_allow=...)`) names them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.cli import _parser
from mockserver.outbound import OutboundMessage, OutboundTargets, target_problems
from mockserver.server import MockServer
from mockserver.world import WorldError
from tests.delivery_receivers import Receiver

AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}
METADATA = "http://169.254.169.254/latest/meta-data"


@pytest.mark.parametrize(
    "url",
    [
        METADATA,
        "http://169.254.1.1:8080/hook",
        "http://[fd00:ec2::254]/latest",
        "http://[fe80::1]/x",
        "http://[::ffff:169.254.169.254]/x",
        "http://2852039166/x",  # 169.254.169.254 as one number
    ],
)
def test_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    refused = OutboundTargets().refusal(url)
    assert refused is not None and "--outbound-allow" in refused


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/ttn", "https://example.com/x", "http://10.0.0.1/x", "not a url"],
)
def test_other_targets_pass(url: str) -> None:
    assert OutboundTargets().refusal(url) is None


def test_outbound_allow_widens_by_network_address_or_name() -> None:
    assert OutboundTargets(["169.254.0.0/16"]).refusal(METADATA) is None
    assert OutboundTargets(["169.254.169.254"]).refusal(METADATA) is None
    assert OutboundTargets(["169.254.169.253/32"]).refusal(METADATA) is not None
    assert OutboundTargets(["fd00:ec2::254"]).refusal("http://[fd00:ec2::254]/") is None
    named = OutboundTargets(["metadata.internal"])
    assert named.host_allowed("Metadata.Internal.")
    with pytest.raises(ValueError, match="expected a CIDR"):
        OutboundTargets(["10.0.0.0/33"])


def _world(base_url: str, thingpark_url: str = "http://127.0.0.1:9/as") -> dict[str, Any]:
    return {
        "tts": {
            "applications": [{"id": "app1", "webhooks": [{"id": "wh1", "base_url": base_url}]}]
        },
        "thingpark": {
            "application_servers": [{"id": "as1", "url": thingpark_url, "key": "0" * 32}]
        },
    }


def test_a_world_naming_a_metadata_target_is_refused_where_it_names_it() -> None:
    with pytest.raises(WorldError) as refused:
        MockServer(_world(METADATA))
    assert "tts/applications/0/webhooks/0/base_url" in str(refused.value)
    assert "169.254.169.254" in str(refused.value)
    problems = list(target_problems(_world("http://127.0.0.1/", METADATA), OutboundTargets()))
    assert [where for where, _ in problems] == ["thingpark/application_servers/0/url"]


def test_the_scan_finds_a_target_however_deep_and_in_any_mapping() -> None:
    """The flat scan that spares each reset the path-naming walk finds what the walk finds:
    under lists and mappings of any kind, and the same answer asked twice (the refusals
    kept by URL) and after more URLs than are kept."""
    from types import MappingProxyType

    from mockserver import outbound

    deep = {"x": [{"y": MappingProxyType({"z": [[{"url": METADATA}]]})}], "url": 5}
    targets = OutboundTargets()
    for _ in range(2):
        assert [where for where, _ in target_problems(deep, targets)] == ["x/0/y/z/0/0/url"]
    assert list(target_problems({"a": [METADATA], "url": ["x"]}, targets)) == []
    for n in range(outbound.REFUSALS_KEPT + 5):
        assert targets.refusal(f"http://127.0.0.{n % 250}:{n}/") is None
    assert targets.refusal(METADATA) is not None
    assert len(targets._refusals) <= outbound.REFUSALS_KEPT


def test_a_reset_still_refuses_a_description_changed_in_place() -> None:
    """The check is not cached by description: a world edited where it lies is checked
    again at the next reset."""
    world = _world("http://127.0.0.1/")
    server = MockServer(world)
    world["thingpark"]["application_servers"][0]["url"] = METADATA
    with pytest.raises(WorldError, match="thingpark/application_servers/0/url"):
        server.reset()


def test_a_world_naming_an_allowed_target_loads_and_resets() -> None:
    server = MockServer(_world(METADATA), outbound_allow=["169.254.169.254/32"])
    server.reset(_world(METADATA))  # the trial build of a new world honours it too
    tenant_world = server.world.description
    assert tenant_world["tts"]["applications"][0]["webhooks"][0]["base_url"] == METADATA


def test_a_switch_to_a_refused_world_changes_nothing() -> None:
    server = MockServer()
    before = server.world.description
    with pytest.raises(WorldError):
        server.reset(_world(METADATA))
    assert server.world.description is before


def _set(client: Any, base_url: Any, *, mask: bool = True) -> Any:
    webhook: dict[str, Any] = {"ids": {"webhook_id": "new-hook"}, "format": "json"}
    if base_url is not None:
        webhook["base_url"] = base_url
    body: dict[str, Any] = {"webhook": webhook}
    if mask:
        body["field_mask"] = {"paths": [k for k in webhook if k != "ids"]}
    return client.post("/api/v3/as/webhooks/app1", headers=AUTH, json=body)


def _cause(response: Any) -> dict[str, Any]:
    (details,) = response.json()["details"]
    assert details["attributes"] == {
        "field": "webhook",
        "name": "SetApplicationWebhookRequestValidationError",
        "reason": "embedded message failed validation",
    }
    return details["cause"]


@pytest.mark.parametrize("base_url", [None, "", "example.com/hooks", "/relative"])
def test_the_registry_refuses_a_webhook_without_an_absolute_base_url(client, base_url) -> None:
    """TTS's `ApplicationWebhook.ValidateFields`: `value must be absolute` (Go's url.Parse
    then IsAbs), under the request's embedded-message error."""
    response = _set(client, base_url)
    assert response.status_code == 400
    assert response.json()["code"] == 3
    cause = _cause(response)
    assert cause["namespace"] == "pkg/errors" and cause["name"] == "validation"
    assert cause["attributes"] == {
        "field": "base_url",
        "name": "ApplicationWebhookValidationError",
        "reason": "value must be absolute",
    }
    assert client.get("/api/v3/as/webhooks/app1/new-hook", headers=AUTH).status_code == 404


def test_an_update_may_leave_the_base_url_alone(client) -> None:
    assert _set(client, "http://127.0.0.1:9/hooks").status_code == 200
    response = client.put(
        "/api/v3/as/webhooks/app1/new-hook",
        headers=AUTH,
        json={"webhook": {"paused": True}, "field_mask": {"paths": ["paused"]}},
    )
    assert response.status_code == 200
    assert response.json()["base_url"] == "http://127.0.0.1:9/hooks"


@pytest.mark.parametrize("base_url", [METADATA, "http://[fd00:ec2::254]/latest"])
def test_the_registry_refuses_a_metadata_base_url(client, base_url) -> None:
    response = _set(client, base_url)
    assert response.status_code == 400
    reason = _cause(response)["attributes"]["reason"]
    assert "link-local or cloud-metadata" in reason and "--outbound-allow" in reason


def test_the_registry_takes_an_allowed_metadata_base_url() -> None:
    server = MockServer(outbound_allow=["169.254.0.0/16"])
    with server.client() as client:
        assert _set(client, METADATA).status_code == 200


def test_a_template_expanding_to_a_refused_address_is_never_sent() -> None:
    server = MockServer()
    attempt = server.outbound.send(
        OutboundMessage("tts", "uplink_message", METADATA, {}, b"{}", at=0)
    )
    assert attempt.outcome == "failed"
    assert "169.254.169.254 refused" in (attempt.error or "")
    assert server.outbound.stats()["failed"] == 1


@pytest.fixture
def metadata_name(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A host name that resolves to the metadata address (as a hostile DNS answer would)."""
    name = "metadata.example.test"
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == name:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield name


def test_a_name_resolving_to_a_metadata_address_is_refused_when_sent(metadata_name) -> None:
    server = MockServer()
    try:
        attempt = server.outbound.send(
            OutboundMessage("tts", "uplink_message", f"http://{metadata_name}/x", {}, b"{}", 0)
        )
        assert server.outbound.flush(timeout=30)
    finally:
        server.stop()
    assert attempt.outcome == "failed"
    assert attempt.error is not None
    assert f"{metadata_name} (169.254.169.254) refused" in attempt.error


def test_a_name_allowed_by_outbound_allow_is_not_checked(metadata_name) -> None:
    live = Receiver()
    server = MockServer(outbound_allow=["localhost"])
    try:
        port = live.http.server_address[1]
        attempt = server.outbound.send(
            OutboundMessage("tts", "uplink_message", f"http://localhost:{port}/x", {}, b"{}", 0)
        )
        assert server.outbound.flush(timeout=30)
    finally:
        server.stop()
        live.close()
    assert attempt.outcome == "delivered", attempt.error


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--outbound-allow", "10.0.0.0/40"], "expected a CIDR"),
        (["--delivery-queue", "0"], "not a whole number of 1 or more"),
        (["--delivery-concurrency", "x"], "not a whole number of 1 or more"),
    ],
)
def test_the_cli_refuses_bad_delivery_options(options, message, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["serve", *options])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_cli_options_reach_the_server() -> None:
    from mockserver.cli_options import delivery_kwargs

    args = _parser().parse_args(
        [
            "serve",
            "--delivery-queue",
            "10",
            "--delivery-concurrency",
            "2",
            "--outbound-allow",
            "169.254.169.254",
            "--outbound-allow",
            "metadata.internal",
        ]
    )
    server = MockServer(**delivery_kwargs(args))
    assert server.outbound.limits.queue_capacity == 10
    assert server.outbound.limits.concurrency == 2
    assert server.outbound_allow == ("169.254.169.254", "metadata.internal")
    assert server.simulator.outbox.targets.refusal(METADATA) is None
