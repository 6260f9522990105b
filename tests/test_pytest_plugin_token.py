"""The fixtures with an admin token (`--mockserver-admin-token`, ini `mockserver_admin_token`):
the served one refuses admin calls without it, and the fixture's own clients pass it."""

from __future__ import annotations

import pytest

USER_TESTS = """
import httpx
from mockserver import AdminClient


def test_the_served_fixture_needs_the_token(mockserver):
    assert mockserver.access.token == "fixture-token"
    assert httpx.post(mockserver.url + "/_mock/reset").status_code == 401
    with mockserver.client() as client:
        assert client.post("/_mock/reset").status_code == 200
    with AdminClient(mockserver.url, token=mockserver.access.token) as admin:
        admin.reset()


def test_the_in_process_fixture_is_trusted(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        assert client.post("/_mock/reset").status_code == 200
"""


@pytest.mark.parametrize(
    ("args", "ini"),
    [
        (["--mockserver-admin-token=fixture-token"], ""),
        ([], "mockserver_admin_token = fixture-token"),
    ],
)
def test_the_fixtures_take_an_admin_token(pytester, args: list[str], ini: str):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=2)
