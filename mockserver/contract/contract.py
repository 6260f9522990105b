"""The facade the server uses: load descriptions once, match, check, record."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mockserver.contract.documents import SpecDocument, bundled_specs_dir, load_specs
from mockserver.contract.operations import Operation, OperationIndex, read_operations
from mockserver.contract.records import ContractLog, ContractViolation
from mockserver.contract.validation import HttpRequest, HttpResponse, RequestResponseValidator


class Contract:
    """All loaded descriptions, an operation index per provider, and the log of findings.

    Loading is cheap (read and parse); each operation's validators are compiled the first time
    a request reaches it, so start-up stays fast however many specs are bundled.
    """

    def __init__(self, specs: list[SpecDocument]) -> None:
        self.specs = specs
        self.log = ContractLog()
        self._validator = RequestResponseValidator()
        self._indexes: dict[str, OperationIndex] = {}
        self._operations: dict[str, list[Operation]] = {}
        for spec in specs:
            self._operations.setdefault(spec.provider, []).extend(read_operations(spec))
        for provider, operations in self._operations.items():
            self._indexes[provider] = OperationIndex(operations)

    @classmethod
    def load(cls, root: Path | None = None) -> Contract:
        return cls(load_specs(root or bundled_specs_dir()))

    def index(self, provider: str) -> OperationIndex:
        return self._indexes.get(provider) or OperationIndex([])

    def operations(self) -> list[Operation]:
        return [op for operations in self._operations.values() for op in operations]

    def check_request(
        self, operation: Operation, path_params: Mapping[str, str], request: HttpRequest
    ) -> list[ContractViolation]:
        violations = self._validator.check_request(operation, path_params, request)
        self.log.record(violations)
        return violations

    def check_response(
        self, operation: Operation, request: HttpRequest, response: HttpResponse
    ) -> list[ContractViolation]:
        documented, violations = self._validator.check_response(operation, request, response)
        self.log.cover(operation.key, documented, response.status)
        self.log.record(violations)
        return violations

    def unknown_route(
        self, provider: str, request: HttpRequest, allowed: list[str]
    ) -> list[ContractViolation]:
        """A request to no documented operation is the client's contract violation too."""
        if allowed:
            rule = "method-not-allowed"
            message = f"{request.method} is not documented for this path (documented: " + (
                ", ".join(allowed) + ")"
            )
        else:
            rule, message = "unknown-route", "no documented operation has this path"
        violation = ContractViolation(
            operation=None,
            direction="request",
            where="route",
            rule=rule,
            message=f"{provider}: {message}",
            spec_location=f"{provider}/",
            method=request.method,
            path=request.path,
        )
        self.log.record([violation])
        return [violation]
