"""Our server with the contract layer's checks taken out: `BENCH_SHELL=1 python -m benchmarks.cpu`.

`Contract.check_request` only parses a JSON body (the strict parse the contract layer does
first, which the providers read as `request.json`) and `Contract.check_response` does
nothing: no parameter, security, schema or undeclared-field check of the request, no check of
our answer, nothing recorded. Everything else runs as served: uvicorn, the shell, the
provider, the store, the journal. The difference between ours and this server is what
checking every exchange against the vendor's description costs per call; raw Starlette's
CPU per request over this server's is the most raw/ours could reach if that checking cost
nothing.

A measuring aid only: a server that checks nothing breaks the product's promise that every
exchange passes the contract layer.

Run as `python -m benchmarks.without_contract serve ARGS`, as `mockserver serve ARGS` is run.
"""

from __future__ import annotations

from typing import Any

from mockserver import json_strict
from mockserver.cli import main
from mockserver.contract import ContractViolation, HttpRequest
from mockserver.contract.contract import Contract


def parse_only(
    contract: Contract, operation: Any, params: Any, request: HttpRequest, *args: Any, **kw: Any
) -> list[ContractViolation]:
    if request.body and request.headers.get("content-type", "").endswith("json"):
        request.json, request.json_repeated_keys = json_strict.loads_noting_repeated_keys(
            request.body
        )
    return []


def nothing_found(contract: Contract, *args: Any, **kwargs: Any) -> list[ContractViolation]:
    return []


if __name__ == "__main__":
    Contract.check_request = parse_only  # type: ignore[method-assign]
    Contract.check_response = nothing_found  # type: ignore[method-assign]
    raise SystemExit(main())
