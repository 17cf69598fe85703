"""Input checks of the services: a `Validator` collects every problem of a request, then raises them together.

A form can then show all its mistakes at once (`ValidationFailed`, one `UserError` per problem).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from services import i18n
from services.errors import DomainError, ValidationFailed, invalid
from services.i18n import T

MAX_MONEY = Decimal("999999999999.99")  # numeric(14, 2), the type of every money column
CENT = Decimal("0.01")


class Validator:
    """Collects input problems; `raise_if_any` raises them as one ValidationFailed.

    Messages and labels are messages of services/i18n.py: a literal label ("subject") is a msgid."""

    def __init__(self) -> None:
        self.problems: list[DomainError] = []

    def require(self, condition: bool, message: str, *field: str) -> None:
        if not condition:
            self.problems.append(invalid(message, *field))

    def text(
        self, value: str | None, label: str, *field: str, required: bool = False, max_len: int = 200
    ) -> str | None:
        """Trimmed text; empty means absent. Checks presence and length."""
        cleaned = value.strip() if isinstance(value, str) else None
        if not cleaned:
            if required:
                self.problems.append(invalid(T("{label} is required", label=i18n.text(label)), *field))
            return None
        if len(cleaned) > max_len:
            self.problems.append(
                invalid(
                    T("{label} must be at most {max_len} characters", label=i18n.text(label), max_len=max_len), *field
                )
            )
        return cleaned

    def money(self, value: Decimal | None, label: str, *field: str, required: bool = False) -> Decimal | None:
        """An amount a money column can hold: 0 to MAX_MONEY, whole cents. None means absent."""
        if value is None:
            self.require(not required, T("{label} is required", label=i18n.text(label)), *field)
            return None
        try:
            ok = value.is_finite() and value >= 0 and value <= MAX_MONEY and value == value.quantize(CENT)
        except InvalidOperation:
            ok = False
        message = T(
            "{label} must be an amount between 0 and {max} with at most 2 decimals",
            label=i18n.text(label),
            max=MAX_MONEY,
        )
        self.require(ok, message, *field)
        return value.quantize(CENT) if ok else None

    def raise_if_any(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise ValidationFailed(self.problems)


def checked_text(value: str | None, label: str, *field: str, required: bool = False, max_len: int = 200) -> str | None:
    """`Validator.text` for a step whose input is this one text: its problem is raised at once."""
    v = Validator()
    text = v.text(value, label, *field, required=required, max_len=max_len)
    v.raise_if_any()
    return text
