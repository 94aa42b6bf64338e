"""Errors a handler raises on purpose; the error middleware turns each into its status page or JSON."""

from __future__ import annotations


class ServiceError(Exception):
    status = 500
    title = "Something went wrong"

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(ServiceError):
    status = 400
    title = "Invalid input"


class NotAuthenticated(ServiceError):
    status = 401
    title = "Sign in required"


class Forbidden(ServiceError):
    status = 403
    title = "Not allowed"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class ProtocolMismatch(ServiceError):
    status = 412
    title = "Incompatible extension"


class PayloadTooLarge(ServiceError):
    status = 413
    title = "Request too large"


class TooManyRequests(ServiceError):
    status = 429
    title = "Too many attempts"
