"""Root fields of personal notifications: each person's own inbox and stream (API keys have none)."""

from __future__ import annotations

from resolvers import notifications as r
from schema.roots import mutations, queries, subscriptions
from schema.types.notifications import Notification, NotificationEvent
from services.access import Action

NODE_TYPES = [Notification]
# Reachable only through the Event interface of `myNotifications`' own type: listed like the others.
TYPES = [NotificationEvent]

Query = queries((Action.OWN_NOTIFICATIONS, r.notifications))

Mutation = mutations((Action.OWN_NOTIFICATIONS, r.mark_notifications_read))

Subscription = subscriptions((Action.OWN_NOTIFICATIONS, r.my_notifications))
