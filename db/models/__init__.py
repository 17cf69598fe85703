"""All mapped tables; importing this package registers them on Base.metadata."""
from db.models.accounts import ApiKey, LoginThrottle, User
from db.models.audit import Activity, Event, IdempotencyRecord
from db.models.customers import Contact, Customer

__all__ = ["User", "ApiKey", "LoginThrottle", "Customer", "Contact", "Activity", "Event", "IdempotencyRecord"]
