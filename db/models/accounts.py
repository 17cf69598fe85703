"""People and machine credentials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from services.rules.accounts import API_KEY_SCOPES, DEPARTMENTS, ROLES


class User(Timestamped, Versioned, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are compared case-insensitively: one account per mailbox.
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
        CheckConstraint(f"department IN {DEPARTMENTS}", name="department"),
        CheckConstraint(f"role IN {ROLES}", name="role"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(Text)
    # Bumped on deactivation / password change: tokens carry it, so older tokens stop working.
    token_generation: Mapped[int] = mapped_column(default=0)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(f"scope IN {API_KEY_SCOPES}", name="scope"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(20))
    # Only the SHA-256 of the key is stored; the key itself is shown once at creation.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed sign-ins per (normalised email, client address), whether or not the account exists, so
    that the slow-down itself does not reveal which emails are registered. Keyed by the address too,
    so failures from an attacker's address slow down only that address, never the account's owner
    signing in from elsewhere (services/auth.py)."""

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_forget_at", "forget_at"),)

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    # When the row is forgotten (its back-off over and then quiet for a while): a row past it counts
    # as absent and is pruned by later sign-ins, so an attacker cannot make the table grow for good.
    forget_at: Mapped[datetime]


class LoginAddressThrottle(Base):
    """Failed sign-ins per client address, whatever the emails: one address guessing across many
    accounts is slowed down too. Forgotten and pruned like LoginThrottle."""

    __tablename__ = "login_address_throttle"
    __table_args__ = (Index("ix_login_address_throttle_forget_at", "forget_at"),)

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    forget_at: Mapped[datetime]
