"""Whether a rule's match holds for a request or a downlink (pure, no state but the counters).

Order of the checks: what the call is (provider, operation, parameters, headers, query,
body, device) and the time window; then the rule counts the call among those that matched
so far (`calls`); then the seeded dice decide (`probability`). Dice are thrown only for
calls that got that far, so the same sequence of calls gives the same outcomes.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from mockserver import json_strict
from mockserver.contract import HttpRequest
from mockserver.contract.validation import UNPARSED
from mockserver.scenario.model import Match
from mockserver.types import Micros

_MISSING = object()


def request_matches(
    match: Match,
    provider: str,
    operation_id: str | None,
    method: str,
    template: str | None,
    params: Mapping[str, str],
    request: HttpRequest,
) -> bool:
    """The parts of a match that look at the request itself."""
    if match.provider is not None and match.provider != provider:
        return False
    if match.operation is not None and not _operation_matches(
        match.operation, operation_id, method, template, request.path
    ):
        return False
    for name, pattern in match.params.items():
        if not _glob(params.get(name), pattern):
            return False
    for name, pattern in match.headers.items():
        if not _glob(request.headers.get(name), pattern):
            return False
    if match.query:
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        for name, pattern in match.query.items():
            if not _glob(query.get(name), pattern):
                return False
    if match.body:
        document = _json_body(request)
        for path, expected in match.body.items():
            if _at_path(document, path) != expected:
                return False
    return True


def downlink_matches(match: Match, provider: str | None, device_id: str, confirmed: bool) -> bool:
    if match.provider is not None and match.provider != provider:
        return False
    if match.device is not None and not _glob(device_id, match.device):
        return False
    return match.confirmed is None or match.confirmed == confirmed


def in_window(match: Match, since_load: Micros) -> bool:
    if match.window_from is not None and since_load < match.window_from:
        return False
    return match.window_to is None or since_load < match.window_to


def _operation_matches(
    wanted: str, operation_id: str | None, method: str, template: str | None, path: str
) -> bool:
    if " " not in wanted.strip():
        return wanted == operation_id
    wanted_method, _, wanted_path = wanted.strip().partition(" ")
    if wanted_method.upper() != method:
        return False
    # The documented template or the concrete path, with or without the base path, with
    # `*` and `?` as globs: `POST /as/applications/{application_id}/webhooks/*` matches.
    patterns = (wanted_path.strip(), "*" + wanted_path.strip())
    candidates = (template, path) if template is not None else (path,)
    return any(_glob(c, pattern) for c in candidates for pattern in patterns)


def _glob(value: str | None, pattern: str) -> bool:
    return value is not None and fnmatch.fnmatchcase(str(value), pattern)


def _json_body(request: HttpRequest) -> Any:
    if request.json is not UNPARSED:
        return request.json
    try:
        return json_strict.loads(request.body) if request.body else None
    except ValueError:  # not JSON, or nested too deeply: no body path matches
        return None


def _at_path(document: Any, path: str) -> Any:
    """`downlinks.0.f_port` → document["downlinks"][0]["f_port"], or a sentinel."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node
