"""The contract layer: every request and response checked against the bundled descriptions."""

from mockserver.contract.contract import Contract
from mockserver.contract.records import ContractLog, ContractViolation, ContractWarning
from mockserver.contract.validation import HttpRequest, HttpResponse

__all__ = [
    "Contract",
    "ContractLog",
    "ContractViolation",
    "ContractWarning",
    "HttpRequest",
    "HttpResponse",
]
