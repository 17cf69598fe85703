"""The demo's staff (`seed-demo`): one login per department and role, and who plays which part."""

from __future__ import annotations

from db.models import User

DEMO_PASSWORD = "tandem-demo"

# (email, name, department, role)
DEMO_USERS = [
    ("admin@tandem.example", "Ada Admin", "MANAGEMENT", "ADMIN"),
    ("supervisor@tandem.example", "Sam Supervisor", "MANAGEMENT", "SUPERVISOR"),
    ("marketing.lead@tandem.example", "Mei Lin", "MARKETING", "LEAD"),
    ("marketing@tandem.example", "Marco Rossi", "MARKETING", "STAFF"),
    ("marketing2@tandem.example", "Priya Nair", "MARKETING", "STAFF"),
    ("service.lead@tandem.example", "Sven Larsen", "SERVICE", "LEAD"),
    ("service@tandem.example", "Sofia Alvarez", "SERVICE", "STAFF"),
    ("technician@tandem.example", "Tom Becker", "SERVICE", "STAFF"),
    ("technician2@tandem.example", "Tariq Haddad", "SERVICE", "STAFF"),
]

# The sellers who own the demo's customers, orders and opportunities, in turn.
SELLER_EMAILS = ("marketing@tandem.example", "marketing2@tandem.example", "marketing.lead@tandem.example")


def sellers(users: dict[str, User]) -> list[User]:
    """The demo sellers among `users` (by email), in turn order."""
    return [users[email] for email in SELLER_EMAILS]
