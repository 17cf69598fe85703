"""SLA clock states the watcher announces (the clocks, their windows and `SlaState` live in services/sla.py)."""

from __future__ import annotations

# One event per clock instance and state.
SLA_ANNOUNCED_STATES = ("AT_RISK", "BREACHED")
