"""The company policy's configurable periods (DOMAIN.md says "configurable"): set from settings.py at
start-up, carried by every unit of work, so a service reads `uow.policy` rather than a constant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# Feedback scored 1 or 2 opens an action item due this long after (DOMAIN.md part 2: "due in 3 days").
DEFAULT_FEEDBACK_ACTION_DUE = timedelta(days=3)


@dataclass(frozen=True)
class Policy:
    feedback_action_due: timedelta = DEFAULT_FEEDBACK_ACTION_DUE

    @classmethod
    def from_settings(cls, settings: object) -> Policy:
        hours = getattr(settings, "feedback_action_due_hours", None)
        return cls(feedback_action_due=timedelta(hours=hours)) if hours else cls()
