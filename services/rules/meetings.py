"""Meetings (例會): the kinds of the joint meetings of marketing and service, and who may record one."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class MeetingKind(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    AD_HOC = "AD_HOC"


MEETING_KINDS = values(MeetingKind)
# DOMAIN.md part 2: leads, supervisors and admins record meetings. The permission matrix is by column
# (department or supervisor/admin), which cannot tell a lead from staff; the service checks the role.
RECORDING_ROLES = ("LEAD", "SUPERVISOR", "ADMIN")
