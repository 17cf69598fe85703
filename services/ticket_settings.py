"""Reference data of the after-sale workflow: SLA policies (supervisors, admins) and root-cause
categories (admins). Changes are audited; they are not ticket events, so none is emitted.

A policy change applies to tickets opened (or re-prioritised) afterwards: due times already fixed on
tickets stay as they are (DOMAIN.md: a later policy change does not rewrite history).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from db.models import RootCauseCategory, SlaPolicy
from db.repositories import tickets as repo
from services.errors import check_version, invalid, not_found
from services.rules.tickets import TICKET_PRIORITIES
from services.unit_of_work import UnitOfWork
from services.validation import Validator

# Neither table has a uuid key; the audit trail needs one, so each row gets a stable name-based id.
_AUDIT_NAMESPACE = uuid.UUID("5b0e4e8e-7a6e-4d2c-9a51-7469636b6574")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")


def audit_id(entity_type: str, key: str) -> uuid.UUID:
    return uuid.uuid5(_AUDIT_NAMESPACE, f"{entity_type}:{key}")


async def update_sla_policy(
    uow: UnitOfWork, priority: str, first_response_minutes: int, resolution_minutes: int, expected_version: int | None
) -> SlaPolicy:
    if priority not in TICKET_PRIORITIES:
        raise invalid("unknown priority", "priority")
    policy = await repo.sla_policy(uow.session, priority, for_update=True)
    if policy is None:
        raise not_found("SLA policy", "priority")
    check_version("SLA policy", expected_version, policy.version)
    v = Validator()
    v.require(
        0 < first_response_minutes <= 525_600,
        "firstResponseMinutes must be between 1 and 525600",
        "firstResponseMinutes",
    )
    v.require(0 < resolution_minutes <= 525_600, "resolutionMinutes must be between 1 and 525600", "resolutionMinutes")
    v.require(
        resolution_minutes >= first_response_minutes,
        "resolution cannot be due before the first response",
        "resolutionMinutes",
    )
    v.raise_if_any()
    changes = {
        name: [old, new]
        for name, old, new in (
            ("firstResponseMinutes", policy.first_response_minutes, first_response_minutes),
            ("resolutionMinutes", policy.resolution_minutes, resolution_minutes),
        )
        if old != new
    }
    if not changes:
        return policy
    policy.first_response_minutes, policy.resolution_minutes = first_response_minutes, resolution_minutes
    await uow.session.flush()
    uow.record(
        action="sla_policy.updated",
        entity_type="SlaPolicy",
        entity_id=audit_id("SlaPolicy", priority),
        summary=f"SLA policy {priority}: first response {first_response_minutes} min, "
        f"resolution {resolution_minutes} min",
        changes={"priority": priority, **changes},
    )
    return policy


async def upsert_root_cause(uow: UnitOfWork, code: str, label: str, active: bool) -> RootCauseCategory:
    v = Validator()
    code = (code or "").strip().upper()
    v.require(bool(_CODE.match(code)), "code must be 2-40 characters A-Z, 0-9 or _, starting with a letter", "code")
    text = v.text(label, "label", "label", required=True, max_len=200)
    v.raise_if_any()
    assert text is not None  # required
    category = await repo.root_cause(uow.session, code, for_update=True)
    if category is None:
        category = RootCauseCategory(code=code, label=text, active=active)
        repo.add_row(uow.session, category)
        changes: dict[str, Any] = {"code": code, "label": text, "active": active}
        action, what = "root_cause.created", "created"
    else:
        changes = {
            name: [old, new]
            for name, old, new in (("label", category.label, text), ("active", category.active, active))
            if old != new
        }
        if not changes:
            return category
        category.label, category.active = text, active
        action, what = "root_cause.updated", "updated"
    await uow.session.flush()
    uow.record(
        action=action,
        entity_type="RootCauseCategory",
        entity_id=audit_id("RootCauseCategory", code),
        summary=f"Root-cause category {code} {what}",
        changes=changes,
    )
    return category
