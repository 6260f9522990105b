"""Someone else's tool tests the simulator: schemathesis against every bundled spec.

Zero server errors, zero response-schema violations, zero undocumented statuses. One check
is left out: undeclared methods (TRACE and the like) meet TTS's own answer, grpc-gateway's
501 `Method Not Allowed` (docs/providers/tts.md), not the 405 schemathesis expects; and
for TTN v2 one more (EXCLUDED_CHECKS below, docs/providers/ttnv2.md).
`make schemathesis` runs longer (SCHEMATHESIS_EXAMPLES, 25 per operation by default).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.contract.documents import bundled_specs_dir
from mockserver.server import MockServer

CREDENTIALS = {"tts": "Authorization: Bearer NNSXS.XXXXXXXXX"}
BASE_PATHS = {"tts": "/api/v3", "ttnv2": ""}
#: schemathesis.toml per provider: TTN v2's key is a query parameter, and its paths name the
#: application and integration, so the default world's are given (and one region: the
#: others lead off every provider's base path, where no vendor's shape applies).
CONFIGS = {
    "ttnv2": """
[parameters]
"query.key" = "ttn-account-v2.secret"
"path.region" = "ttn-eu"
"path.app_id" = "my-app-id"
"path.process_id" = "my-process-id"
"""
}
#: Checks a provider cannot pass for a reason its docs page gives. TTN v2: Go rejects a
#: `port` written with a fraction (`1.0`), which JSON Schema's `integer` accepts.
EXCLUDED_CHECKS = {"ttnv2": ",positive_data_acceptance"}


@pytest.mark.slow
@pytest.mark.parametrize("provider", sorted(BASE_PATHS))
def test_schemathesis_finds_nothing(provider: str, tmp_path: Path):
    spec = next((bundled_specs_dir() / provider).glob("openapi.yaml"))
    st = Path(sys.executable).with_name("st")
    if provider in CONFIGS:
        (tmp_path / "schemathesis.toml").write_text(CONFIGS[provider], encoding="utf-8")
    credentials = ["-H", CREDENTIALS[provider]] if provider in CREDENTIALS else []
    server = MockServer()
    url = server.start()
    try:
        result = subprocess.run(
            [
                str(st),
                "run",
                str(spec),
                "--url",
                url + BASE_PATHS[provider],
                *credentials,
                "--checks",
                "all",
                "--exclude-checks",
                "unsupported_method" + EXCLUDED_CHECKS.get(provider, ""),
                "--phases",
                "examples,fuzzing,stateful",
                "--max-examples",
                os.environ.get("SCHEMATHESIS_EXAMPLES", "25"),
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
    assert not [v for v in server.contract.log.violations if v.direction == "response"]
