"""The items of an HTTP header that weighs them with q-values (`Accept`, `Accept-Language`; RFC 9110
§12.4.2), parsed once for both: the content type of a GraphQL response (web/graphql_view.py) and the
language of its messages (services/i18n.py)."""

from __future__ import annotations

from collections.abc import Iterator


def weighted(header: str | None, *, max_length: int | None = None) -> Iterator[tuple[str, float, int]]:
    """(item, q, position) of each non-empty item of `header`, its q-value 1 unless it says otherwise.
    An item whose q-value is malformed or outside [0, 1] (NaN too) is dropped, not the whole header;
    q=0 ("not this one") is kept for the caller to weigh. `max_length` bounds the text parsed."""
    text = (header or "")[:max_length] if max_length is not None else (header or "")
    for position, part in enumerate(text.split(",")):
        item, *params = (piece.strip() for piece in part.split(";"))
        if not item:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            yield item, q, position
