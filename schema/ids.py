"""Opaque Relay global IDs: base64("TypeName:uuid")."""

from __future__ import annotations

import uuid

from strawberry import relay

from services.errors import DomainError, ErrorCode
from services.i18n import T


def to_global_id(type_name: str, value: uuid.UUID | int | str) -> str:
    return str(relay.GlobalID(type_name, str(value)))


def parse_global_id(value: str) -> tuple[str, str] | None:
    try:
        gid = relay.GlobalID.from_id(value)
    except ValueError:  # malformed base64 or missing separator: not one of our ids
        return None
    return gid.type_name, gid.node_id


def decode_id(value: str | None, type_name: str, *field: str) -> uuid.UUID:
    """The uuid inside a global ID of the expected type; a clear error for anything else."""
    parsed = parse_global_id(value or "")
    if parsed is None or parsed[0] != type_name:
        raise DomainError(
            ErrorCode.VALIDATION,
            T("{field} is not a {type} id", field=".".join(field) or "id", type=type_name),
            list(field) or None,
        )
    try:
        return uuid.UUID(parsed[1])
    except ValueError:
        raise DomainError(
            ErrorCode.VALIDATION,
            T("{field} is not a {type} id", field=".".join(field), type=type_name),
            list(field) or None,
        ) from None


def decode_optional_id(value: str | None, type_name: str, *field: str) -> uuid.UUID | None:
    return None if value is None else decode_id(value, type_name, *field)
