"""Fixtures of the order, service-job and feedback tests: the people involved and one customer."""

from __future__ import annotations

import pytest

from tests.support.accounts import fast_account
from tests.support.orders import Workflow, new_customer


@pytest.fixture
async def people(services):
    return {
        "seller": await fast_account(services, "MARKETING", name="Marco Rossi"),
        "servicer": await fast_account(services, "SERVICE", name="Sofia Alvarez"),
        "technician": await fast_account(services, "SERVICE", name="Tom Becker"),
    }


@pytest.fixture
async def customer(services):
    return await new_customer(services, "Acme Robotics")


@pytest.fixture
async def flow(services, people):
    """Drives orders and jobs through the services as the seller and the servicer."""
    return Workflow(services, people["seller"].user, people["servicer"].user)
