"""Staff accounts and API keys: departments, roles, key scopes."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class Department(StrEnum):
    MARKETING = "MARKETING"
    SERVICE = "SERVICE"
    MANAGEMENT = "MANAGEMENT"


class Role(StrEnum):
    STAFF = "STAFF"
    LEAD = "LEAD"
    SUPERVISOR = "SUPERVISOR"
    ADMIN = "ADMIN"


class ApiKeyScope(StrEnum):
    REPORTING = "reporting"
    BOARD = "board"


DEPARTMENTS = values(Department)
ROLES = values(Role)
API_KEY_SCOPES = values(ApiKeyScope)
