"""The indexes of keyset-paged lists (db/repositories/pagination.py): one for the whole list, one per filter."""

from __future__ import annotations

from sqlalchemy import Index


def keyset_indexes(table: str, sort_name: str, sort_column: str, *filters: str) -> list[Index]:
    """The indexes of `table`'s list in (`sort_column`, id) order: one for the whole list and one per column a
    filter narrows it by, led by that column. Named ix_<table>[_<filter>]_<sort_name>_id, a filter column
    named without its "_id"."""
    return [
        Index(f"ix_{table}_{sort_name}_id", sort_column, "id"),
        *(
            Index(f"ix_{table}_{column.removesuffix('_id')}_{sort_name}_id", column, sort_column, "id")
            for column in filters
        ),
    ]
