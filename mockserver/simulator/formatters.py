"""Setting formatter scripts at run time: `server.formatters` and the admin API.

    mockserver.formatters.set("app1.dev1", down=Path("codec.js"), up=Path("codec.js"))
    mockserver.formatters.set("app1", up_formatter="FORMATTER_CAYENNELPP")    # app default
    mockserver.formatters.set("my-app-id", encoder=Path("encoder.js"))          # TTN v2

A `Path` is read (the very file the team deploys); a `str` is the script itself. A TTS
script given without a formatter kind makes that direction FORMATTER_JAVASCRIPT. A script
that does not parse is refused here, with the engine's message and line:column
(`engine.CompileError`, a ValueError), and nothing changes. What is set lasts until the
world is reset, like every other change made at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from mockserver.formatters import engine
from mockserver.formatters.kinds import JAVASCRIPT, KINDS
from mockserver.formatters.ttnv2 import FUNCTIONS, PayloadFunctions
from mockserver.formatters.tts import DIRECTIONS, PayloadFormatters
from mockserver.providers import Provider
from mockserver.providers.ttnv2 import TTNv2Provider
from mockserver.providers.ttnv2.applications import Application as TTNv2Application
from mockserver.providers.tts import TTSProvider


class ProvidersHolder(Protocol):
    """A simulator, as far as setting scripts goes: its providers change at each reset."""

    @property
    def providers(self) -> Mapping[str, Provider]: ...


Script = str | Path | None


class UnknownTarget(LookupError):
    """No TTS device or application, nor TTN v2 application, of that name."""


class Formatters:
    """`server.formatters`. `guard`: held while the scripts change (the shell's lock, when
    the simulator is served from another thread than the caller's)."""

    def __init__(
        self,
        simulator: ProvidersHolder,
        guard: AbstractContextManager[object] | None = None,
    ) -> None:
        self._simulator = simulator
        self._guard: AbstractContextManager[object] = guard or nullcontext()

    def set(
        self,
        target: str,
        *,
        down: Script = None,
        up: Script = None,
        down_formatter: str | None = None,
        up_formatter: str | None = None,
        encoder: Script = None,
        decoder: Script = None,
        converter: Script = None,
        validator: Script = None,
    ) -> dict[str, Any]:
        """Set scripts (or formatter kinds) of a TTS device (`app.dev`) or application
        (`app`), or of a TTN v2 application (`app`, or any of its devices `app.dev`)."""
        v2 = {"encoder": encoder, "decoder": decoder, "converter": converter}
        v2["validator"] = validator
        if any(value is not None for value in v2.values()):
            if any(value is not None for value in (down, up, down_formatter, up_formatter)):
                raise ValueError("TTS formatters and TTN v2 payload functions are set apart")
            return self.set_ttnv2(target, {k: _text(v) for k, v in v2.items() if v is not None})
        changes: dict[str, Any] = {}
        for direction, script, kind in (("down", down, down_formatter), ("up", up, up_formatter)):
            if kind is not None:
                changes[f"{direction}_formatter"] = kind
            if script is not None:
                changes[f"{direction}_formatter_parameter"] = _text(script)
                changes.setdefault(f"{direction}_formatter", JAVASCRIPT)
                if isinstance(script, Path):
                    changes[f"{direction}_formatter_parameter_origin"] = script.name
        return self.set_tts(target, changes)

    def set_tts(self, target: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply TTS `MessagePayloadFormatters` fields to a device or an application."""
        _check_fields(changes, (*(f"{d}_formatter" for d in DIRECTIONS), *_tts_parameters()))
        for direction in DIRECTIONS:
            kind = changes.get(f"{direction}_formatter")
            if kind is not None and kind not in KINDS:
                raise ValueError(f"{direction}_formatter must be one of {', '.join(KINDS)}")
        with self._guard:
            holder, attribute = self._tts_holder(target)
            current = getattr(holder, attribute) or PayloadFormatters()
            origins = dict(current.origins)
            for direction in DIRECTIONS:
                origin = changes.pop(f"{direction}_formatter_parameter_origin", None)
                if f"{direction}_formatter_parameter" in changes:
                    origins.pop(direction, None)
                if origin is not None:
                    origins[direction] = origin
            updated = replace(current, **changes, origins=origins)
            updated.check()  # engine.CompileError: nothing changes
            setattr(holder, attribute, updated)
            return updated.describe()

    def set_ttnv2(self, target: str, scripts: dict[str, str]) -> dict[str, Any]:
        """Set TTN v2 payload functions (`encoder`, `decoder`, `converter`, `validator`)."""
        _check_fields(scripts, FUNCTIONS)
        for name, script in scripts.items():
            engine.check(script, name)
        with self._guard:
            application = self._ttnv2_application(target)
            current = application.payload_functions or PayloadFunctions()
            application.payload_functions = replace(current, **scripts)
            return application.payload_functions.describe()

    def set_from_admin(
        self, device_id: str, provider: str, document: dict[str, Any], slot: str | None = None
    ) -> dict[str, Any]:
        """`PUT /_mock/devices/{id}/formatters` (a JSON object of TTS's `formatters` fields, or
        of TTN v2's function names) and `…/formatters/{slot}` (the script as the body)."""
        if slot is not None:
            script = document["script"]
            if slot in DIRECTIONS and provider == "tts":
                document = {
                    f"{slot}_formatter": JAVASCRIPT,
                    f"{slot}_formatter_parameter": script,
                }
            elif slot in FUNCTIONS and provider == "ttnv2":
                document = {slot: script}
            else:
                raise ValueError(f"no formatter {slot!r} for a {provider} device")
        if provider == "tts":
            return self.set_tts(device_id, dict(document))
        if provider == "ttnv2":
            return self.set_ttnv2(device_id, dict(document))
        raise ValueError(f"{provider} devices have no payload formatters in the simulator")

    def get(self, target: str) -> dict[str, Any]:
        with self._guard:
            try:
                holder, attribute = self._tts_holder(target)
            except UnknownTarget:
                functions = self._ttnv2_application(target).payload_functions
                return functions.describe() if functions else {}
            formatters = getattr(holder, attribute)
            return formatters.describe() if formatters else {}

    def _tts_holder(self, target: str) -> tuple[Any, str]:
        provider = self._simulator.providers.get("tts")
        if isinstance(provider, TTSProvider):
            application_id, _, device_id = target.partition(".")
            application = provider.registry.applications.get(application_id)
            if application is not None and not device_id:
                return application, "default_formatters"
            if application is not None and device_id in application.devices:
                return application.devices[device_id], "formatters"
        raise UnknownTarget(f"no TTS device or application {target!r}")

    def _ttnv2_application(self, target: str) -> TTNv2Application:
        provider = self._simulator.providers.get("ttnv2")
        if isinstance(provider, TTNv2Provider):
            application_id, _, device_id = target.partition(".")
            application = provider.registry.applications.get(application_id)
            if application is not None and (not device_id or device_id in application.devices):
                return application
        raise UnknownTarget(f"no TTN v2 application or device {target!r}")


def _tts_parameters() -> tuple[str, ...]:
    return tuple(
        f"{direction}_formatter_parameter{suffix}"
        for direction in DIRECTIONS
        for suffix in ("", "_origin")
    )


def _check_fields(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} (known: {', '.join(allowed)})")
    for name, value in changes.items():
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string")


def _text(script: str | Path) -> str:
    if isinstance(script, Path):
        return script.read_text(encoding="utf-8")
    if not isinstance(script, str):
        raise ValueError("a script is a str (its text) or a Path (its file)")
    return script
