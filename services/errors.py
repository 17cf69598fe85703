"""Refusals of business rules. They become `UserError`s in mutation payloads and change nothing."""

from __future__ import annotations

from enum import StrEnum

from services.i18n import Joined, T, text


class ErrorCode(StrEnum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    DUPLICATE = "DUPLICATE"
    # Additions to the contract's codes, for the login payload:
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RATE_LIMITED = "RATE_LIMITED"


class DomainError(Exception):
    """A refused request. `field` is the input path the problem is about, when there is one.

    `message` is a message of services/i18n.py (a plain literal is its own msgid): English as a
    `str`, rendered in the caller's language where it leaves the server."""

    def __init__(self, code: ErrorCode, message: str, field: list[str] | None = None):
        message = text(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """One or more input problems, reported together so a form can show them all at once."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(ErrorCode.VALIDATION, Joined("; ", [p.message for p in problems]), None)
        self.problems = problems


def invalid(message: str, *field: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION, message, list(field) or None)


def not_found(what: str, *field: str) -> DomainError:
    """`what` names the thing ("ticket"): a msgid of its own, so it reads right in every language."""
    return DomainError(ErrorCode.NOT_FOUND, T("{what} not found", what=text(what)), list(field) or None)


def version_conflict(what: str, expected: int, actual: int) -> DomainError:
    return DomainError(
        ErrorCode.VERSION_CONFLICT,
        T(
            "{what} was changed by someone else (expected version {expected}, current {actual}); reload and retry",
            what=text(what),
            expected=expected,
            actual=actual,
        ),
        ["expectedVersion"],
    )


def check_version(what: str, expected: int | None, actual: int) -> None:
    if expected is not None and expected != actual:
        raise version_conflict(what, expected, actual)
