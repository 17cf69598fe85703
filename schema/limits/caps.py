"""The limits themselves (`Limits`, from settings.py) and the cap of each string input by its name."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits the schema enforces; the defaults are those of `settings.Settings`."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_directives: int
    max_query_cost: int
    max_string_length: int
    max_search_length: int
    max_name_length: int
    max_list_length: int

    @classmethod
    def from_settings(cls, settings: Any = None) -> Limits:
        if settings is None:
            from settings import Settings

            defaults: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(Settings)}
            return cls(**{f.name: defaults[f.name] for f in dataclasses.fields(cls)})
        return cls(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(cls)})

    def string_cap(self, name: str | None) -> int:
        kind = STRING_CAPS.get(name or "", TEXT)
        return {SEARCH: self.max_search_length, SHORT: self.max_name_length}.get(kind, self.max_string_length)


SEARCH, SHORT, TEXT = "search", "short", "text"

# The cap of a string, by the name of the argument or input field it is given to (a list's items take
# the list's name). Short: names, identifiers and keys; the services' own rules (e.g. names ≤ 200,
# emails ≤ 320) still answer with VALIDATION user errors below the cap. Text: prose; the longest the
# services accept is 20,000 (ticket descriptions, comments, notes, plans). Any other name: TEXT.
STRING_CAPS: dict[str, str] = {
    "search": SEARCH,
    **dict.fromkeys(
        (
            "name",
            "title",
            "subject",
            "label",
            "email",
            "password",
            "idempotencyKey",
            "code",
            "phone",
            "industry",
            "region",
            "productModel",
            "confirmedBy",
            "rootCause",
            "priority",
            "deliveryDate",
        ),
        SHORT,
    ),
    **dict.fromkeys(
        (
            "description",
            "body",
            "notes",
            "preparationNotes",
            "specialRequirements",
            "comment",
            "comments",
            "plan",
            "reason",
            "resolutionSummary",
            "summary",
            "details",
            "technicalFeasibility",
            "serviceability",
        ),
        TEXT,
    ),
}
