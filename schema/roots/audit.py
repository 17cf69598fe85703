"""Root fields of the audit trail: the audit log (supervisors and admins)."""

from __future__ import annotations

from resolvers import audit as r
from schema.roots import queries
from services.access import Action

Query = queries((Action.READ_AUDIT_LOG, r.audit_log))
