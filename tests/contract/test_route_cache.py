"""The operation index remembers (method, path) matches: same answers, bounded memory."""

from mockserver.contract import operations
from mockserver.contract.contract import Contract

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"


def _tts_index() -> operations.OperationIndex:
    ops = [op for op in Contract.load().operations() if op.key.startswith("tts.")]
    return operations.OperationIndex(ops)


def test_a_remembered_match_is_the_same_and_its_parameters_are_the_callers_own():
    index = _tts_index()
    first = index.match("POST", PUSH)
    assert first is not None
    first[1]["device_id"] = "changed by the caller"
    again = index.match("POST", PUSH)
    assert again is not None
    assert again[0] is first[0]
    assert again[1]["device_id"] == "dev1"
    assert index.match("POST", "/nowhere") is None
    assert index.match("POST", "/nowhere") is None


def test_the_memory_starts_over_when_full(monkeypatch):
    monkeypatch.setattr(operations, "ROUTE_CACHE_SIZE", 3)
    index = _tts_index()
    for n in range(10):
        found = index.match("POST", PUSH.replace("dev1", f"dev{n}"))
        assert found is not None and found[1]["device_id"] == f"dev{n}"
        assert len(index._found) <= 3
