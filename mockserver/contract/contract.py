"""The facade the server uses: load descriptions once, match, check, record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from mockserver.contract.documents import SpecDocument, bundled_specs_dir, load_specs
from mockserver.contract.operations import (
    Operation,
    OperationIndex,
    read_operations,
    read_webhooks,
)
from mockserver.contract.records import ContractLog, ContractViolation, ContractWarning
from mockserver.contract.validation import (
    UNPARSED,
    HttpRequest,
    HttpResponse,
    RequestResponseValidator,
)

if TYPE_CHECKING:
    from mockserver.outbound import OutboundMessage


class WarningPolicy(Protocol):
    """How a vendor reads a body, for its warnings (a provider is one)."""

    def field_key(self, name: str) -> str:
        """A sent field's name as the vendor reads it (`fPort` → `f_port` for TTS)."""
        ...

    def refine_warnings(
        self, operation: Operation, request: HttpRequest, warnings: list[ContractWarning]
    ) -> list[ContractWarning]:
        """The warnings in the vendor's terms (what its service then did, or did not do)."""
        ...


class _Catalog:
    """What loading a set of descriptions produces; immutable, so instances share it."""

    def __init__(self, specs: list[SpecDocument]) -> None:
        self.specs = specs
        self.validator = RequestResponseValidator()
        self.operations: dict[str, list[Operation]] = {}
        #: Messages the providers send, by provider, then (webhook name, method).
        self.webhooks: dict[str, dict[tuple[str, str], Operation]] = {}
        for spec in specs:
            self.operations.setdefault(spec.provider, []).extend(read_operations(spec))
            self.webhooks.setdefault(spec.provider, {}).update(read_webhooks(spec))
        self.indexes = {
            provider: OperationIndex(operations) for provider, operations in self.operations.items()
        }


#: Catalogs by folder: every simulator in a process (a test session builds many) reads and
#: compiles the same descriptions once.
#: Two threads loading the same folder at once may both build it; one copy is kept.
_CATALOGS: dict[Path, _Catalog] = {}


class Contract:
    """All loaded descriptions, an operation index per provider, and the log of findings.

    Loading is cheap (read and parse, once per folder and process); each operation's
    validators are compiled the first time a request reaches it, then shared.
    """

    def __init__(
        self, specs: list[SpecDocument] | None = None, *, catalog: _Catalog | None = None
    ) -> None:
        self._catalog = catalog or _Catalog(specs or [])
        self.specs = self._catalog.specs
        self.log = ContractLog()
        self._validator = self._catalog.validator
        self._indexes = self._catalog.indexes
        self._operations = self._catalog.operations
        self._webhooks = self._catalog.webhooks

    @classmethod
    def load(cls, root: Path | None = None) -> Contract:
        folder = (root or bundled_specs_dir()).resolve()
        catalog = _CATALOGS.get(folder)
        if catalog is None:
            catalog = _CATALOGS.setdefault(folder, _Catalog(load_specs(folder)))
        return cls(catalog=catalog)

    def index(self, provider: str) -> OperationIndex:
        return self._indexes.get(provider) or OperationIndex([])

    def operations(self) -> list[Operation]:
        """Every documented operation once: an operation served under several base paths
        is one operation (its key), listed under its description's own base path."""
        unique: dict[str, Operation] = {}
        for operations in self._operations.values():
            for op in operations:
                unique.setdefault(op.key, op)
        return list(unique.values())

    def check_request(
        self,
        operation: Operation,
        path_params: Mapping[str, str],
        request: HttpRequest,
        vendor: WarningPolicy | None = None,
        *,
        record: bool = True,
    ) -> list[ContractViolation]:
        """The request's violations (returned, and recorded unless `record=False`: then the
        caller records them with `record_request` once the exchange has its status). With a
        `vendor` (the provider answering), its warnings too: `request.warnings`, recorded
        apart."""
        violations = self._validator.check_request(operation, path_params, request)
        if violations and record:
            self.log.record(violations)
        if vendor is not None and request.json is not UNPARSED:
            warnings = self._validator.undeclared_fields(operation, request, vendor.field_key)
            warnings = vendor.refine_warnings(operation, request, warnings)
            if warnings:
                request.warnings = warnings
                self.log.warn(warnings)
        return violations

    def record_request(
        self, violations: list[ContractViolation], status: int | None
    ) -> list[ContractViolation]:
        """A request's violations, recorded with the status its exchange ended on (None: no
        HTTP answer), so that a report puts each on the status it happened on rather than
        on every status of the operation."""
        answered = [replace(violation, status=status) for violation in violations]
        self.log.record(answered)
        return answered

    def check_response(
        self, operation: Operation, request: HttpRequest, response: HttpResponse
    ) -> list[ContractViolation]:
        documented, violations = self._validator.check_response(operation, request, response)
        self.log.cover(operation.key, documented, response.status)
        if violations:
            self.log.record(violations)
        return violations

    def check_chosen_response(
        self, operation: Operation, request: HttpRequest, response: HttpResponse
    ) -> list[ContractViolation]:
        """A response a scenario chose (a vendor error by name, a literal body): it counts in
        coverage, and what it breaks is returned for the journal but not recorded as the
        simulator's fault (a real service may answer outside its description too)."""
        documented, violations = self._validator.check_response(operation, request, response)
        self.log.cover(operation.key, documented, response.status)
        return violations

    def check_outbound(self, message: OutboundMessage) -> list[ContractViolation]:
        """A message the simulator sends, against its provider's `webhooks` entry named by the
        message's kind. Kinds the provider's description does not name are not checked;
        findings have direction `outbound` (the simulator's own fault, like responses)."""
        webhooks = self._webhooks.get(message.provider) or {}
        if not any(name == message.kind for name, _ in webhooks):
            return []
        url = urlsplit(message.url)
        request = HttpRequest(
            message.method,
            url.path or "/",
            url.query,
            {name.lower(): value for name, value in message.headers.items()},
            message.body,
        )
        operation = webhooks.get((message.kind, message.method))
        if operation is None:
            documented = sorted(method for name, method in webhooks if name == message.kind)
            violations = [
                ContractViolation(
                    operation=f"{message.provider}.{message.kind}",
                    direction="outbound",
                    where="method",
                    rule="method-not-allowed",
                    message=f"{message.method} is not documented for the {message.kind!r} "
                    f"message (documented: {', '.join(documented)})",
                    spec_location=f"{message.provider}/#/webhooks/{message.kind}",
                    method=message.method,
                    path=message.url,
                )
            ]
        else:
            violations = [
                replace(violation, direction="outbound", path=message.url)
                for violation in self._validator.check_request(operation, {}, request)
            ]
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
