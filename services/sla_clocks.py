"""Handoff clocks of the pre-sale workflow (DOMAIN.md § SLA): how long service has to answer.

Named constants only, so the SLA watcher and the KPIs read the same numbers as the services that
start the clocks. A due time is computed once, when its clock starts, and stored on the row: a later
change of these numbers does not rewrite history.
"""

from __future__ import annotations

from datetime import timedelta

# "solution submitted — service reviews — within 24 h"
SOLUTION_REVIEW = timedelta(hours=24)

# "project registered — service acknowledges with preparation — within 24 h"
REGISTRATION_ACKNOWLEDGEMENT = timedelta(hours=24)

# "joint consultation open — a customer-visible progress update — every 24 h"
CONSULTATION_UPDATE = timedelta(hours=24)
