"""Someone else's tool tests the simulator: schemathesis against every bundled spec.

Each spec is given to schemathesis as the contract layer loads it (the vendor's text with
its overlay merged), so "undocumented status" means undocumented by both. Zero server
errors, zero response-schema violations, zero undocumented statuses. Left out:
`unsupported_method` for TTS, whose undeclared methods meet grpc-gateway's 501 `Method Not
Allowed` (docs/providers/tts.md), not the 405 schemathesis expects; for ThingPark the same,
and `positive_data_acceptance`: the vendor's query flags are untyped, so schemathesis sends
`flushDownlinkQueue=null` as schema-valid while the service reads only booleans and answers
400 (docs/providers/thingpark.md); for KPN the same two: the service has rules beyond the
published schemas (docs/providers/kpn.md: feedback timeout of at least 10 minutes, `limit`
bounds, a required body); for TTN v2 the same two: Go rejects a `port` written with a
fraction (`1.0`), which JSON Schema's `integer` accepts (docs/providers/ttnv2.md).
TTS's own Swagger (`tts/api.swagger`) leaves out `positive_data_acceptance` too: its file
states none of the protos' validate rules (ID patterns, FPort bounds), which the service
applies (docs/providers/tts.md); and schemathesis cannot read grpc-gateway's dotted path
parameter names, so it gets them by their last segment (the URLs are the same).
`make schemathesis` runs longer (SCHEMATHESIS_EXAMPLES: 500 there, 10 per operation by default
in `make test`, where this file was the largest part of the suite's CPU; every operation and
phase still runs, on fewer generated cases: 25 cost about 35 % more CPU here).

Each `st` runs in a folder of its own, with a Hypothesis home of its own (its example
database starts empty, as before), except for Hypothesis's tables of Unicode (which
characters are in which category, which ones UTF-8 encodes): a pure function of Python's
Unicode version that Hypothesis works out by walking every code point, 1.3 s of CPU per `st`,
and caches under its home. They are worked out once per run and every home links to them
(`unicode_tables`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mockserver.contract import Contract
from mockserver.contract.documents import SpecDocument
from mockserver.contract.operations import path_aliases, read_operations
from mockserver.server import MockServer
from tests.once_per_run import once_per_run

#: How schemathesis authenticates to each provider of the default world: extra CLI options.
CREDENTIALS: dict[str, Callable[[MockServer], list[str]]] = {
    "tts": lambda server: ["-H", "Authorization: Bearer NNSXS.XXXXXXXXX"],
    "thingpark": lambda server: [
        "-H",
        f"Authorization: Bearer {server.providers['thingpark'].ready_token}",
    ],
    "kpn": lambda server: [
        "-H",
        f"Authorization: Bearer {server.providers['kpn'].ready_token('demo-client')}",
    ],
    "ttnv2": lambda server: [],  # the key is a query parameter: CONFIG
}
#: Checks a provider's documented behaviour rules out, with the reason in the docstring.
EXCLUDED_CHECKS: dict[str, list[str]] = {
    "tts": ["unsupported_method"],
    "tts/api.swagger": ["unsupported_method", "positive_data_acceptance"],
    "thingpark": ["unsupported_method", "positive_data_acceptance"],
    "kpn": ["unsupported_method", "positive_data_acceptance"],
    "ttnv2": ["unsupported_method", "positive_data_acceptance"],
}
#: The coverage phase sends undeclared methods (TRACE) whatever the checks: for TTS that is
#: grpc-gateway's documented 501, which schemathesis counts as a server error.
PHASES: dict[str, str] = {
    "tts": "examples,fuzzing,stateful",
    "kpn": "examples,fuzzing,stateful",
    "ttnv2": "examples,fuzzing,stateful",
}
#: schemathesis.toml per provider: path parameters that name the default world's devices.
#: TTN v2's key is a query parameter, and its paths name the application and integration, so
#: the default world's are given (and one region: the others lead off every provider's base
#: path, where no vendor's shape applies). TTS answers 403 for an application the key has
#: no rights to, as the real stack does, so the payload formatter operations (`down/encode`,
#: `down/decode`, `up/decode`: nothing else to fuzz in their paths) name the default
#: world's application and device; the other operations keep generated IDs, whose pattern
#: checks (400) are part of what they test.
CONFIG: dict[str, str] = {
    "tts": """
[[operations]]
include-path-regex = "/(down|up)/(encode|decode)$"
parameters = { "path.application_id" = "app1", "path.device_id" = "dev1" }
""",
    "thingpark": '[parameters]\n"path.device" = "1001"\n',
    "ttnv2": """
[parameters]
"query.key" = "ttn-account-v2.secret"
"path.region" = "ttn-eu"
"path.app_id" = "my-app-id"
"path.process_id" = "my-process-id"
""",
}

SPECS = Contract.load().specs
#: Hypothesis's `.hypothesis/unicode_data`, which a text strategy of UTF-8 characters (what
#: schemathesis draws strings from) fills, in a Hypothesis home of its own.
BUILD_UNICODE_TABLES = """
from hypothesis import given, settings, strategies as st

@settings(max_examples=1, database=None)
@given(st.text(st.characters(codec="utf-8")))
def build(text):
    pass

build()
"""


@pytest.fixture(scope="session")
def unicode_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hypothesis's Unicode tables, worked out once per run by the Hypothesis that `st`
    runs on; a home without them (another Hypothesis, another layout) works them out
    itself, as before."""

    def build(work: Path) -> Path:
        subprocess.run(
            [sys.executable, "-c", BUILD_UNICODE_TABLES],
            env={**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(work)},
            check=True,
            timeout=600,
        )
        (work / "unicode_data").mkdir(exist_ok=True)
        return work / "unicode_data"

    return once_per_run(tmp_path_factory, "hypothesis-unicode-tables", build)


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
def test_schemathesis_finds_nothing(spec: SpecDocument, tmp_path: Path, unicode_tables: Path):
    assert spec.provider in CREDENTIALS, f"add how schemathesis authenticates to {spec.provider}"
    merged = tmp_path / "spec.json"
    document = _short_path_names(spec.document)
    merged.write_text(json.dumps(document))  # JSON: YAML's integer status keys as text
    if spec.provider in CONFIG:
        (tmp_path / "schemathesis.toml").write_text(CONFIG[spec.provider])
    base_path = read_operations(spec)[0].path.removesuffix(next(iter(spec.document["paths"])))
    (tmp_path / ".hypothesis").mkdir()
    (tmp_path / ".hypothesis" / "unicode_data").symlink_to(unicode_tables)
    st = Path(sys.executable).with_name("st")
    server = MockServer()
    url = server.start()
    excluded = EXCLUDED_CHECKS.get(spec.name, EXCLUDED_CHECKS.get(spec.provider, []))
    try:
        result = subprocess.run(
            [
                str(st),
                "run",
                str(merged),
                "--url",
                url + base_path,
                *CREDENTIALS[spec.provider](server),
                "--checks",
                "all",
                *(["--exclude-checks", ",".join(excluded)] if excluded else []),
                "--phases",
                PHASES.get(spec.provider, "examples,coverage,fuzzing,stateful"),
                "--max-examples",
                os.environ.get("SCHEMATHESIS_EXAMPLES", "10"),
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # Every operation got past authentication at least once: otherwise its answers were
    # all 401/403, and nothing behind the credentials check was tested.
    assert "Authentication failed" not in result.stdout, result.stdout[-3000:]
    assert not [v for v in server.contract.log.violations if v.direction == "response"]


def _short_path_names(document: dict[str, Any]) -> dict[str, Any]:
    """The description with grpc-gateway's dotted path parameters (`{ids.webhook_id}`) named
    by their last segment, as the simulator also names them: schemathesis reads a template
    with `str.format`, where a dot means an attribute."""
    paths = {}
    for template, item in document.get("paths", {}).items():
        names = re.findall(r"\{([^}/]+)\}", template)
        aliases = path_aliases(names)
        if not aliases:
            paths[template] = item
            continue
        for name, alias in aliases.items():
            template = template.replace("{" + name + "}", "{" + alias + "}")
        paths[template] = _renamed(item, aliases)
    return {**document, "paths": paths}


def _renamed(node: Any, aliases: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_renamed(value, aliases) for value in node]
    if not isinstance(node, dict):
        return node
    renamed = {key: _renamed(value, aliases) for key, value in node.items()}
    if renamed.get("in") == "path" and renamed.get("name") in aliases:
        renamed["name"] = aliases[renamed["name"]]
    return renamed
