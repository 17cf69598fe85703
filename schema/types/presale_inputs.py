"""Pre-sale's write side: the inputs and payloads of the opportunity mutations."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError
from schema.types.presale import Opportunity, ReviewDecision


@strawberry.input
class RequirementInput:
    description: str
    priority: str | None = None


@strawberry.input
class CreateOpportunityInput:
    customer_id: strawberry.ID
    title: str
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active marketing user; defaults to the caller."
    )
    requirements: list[RequirementInput] | None = None
    idempotency_key: str | None = None


@strawberry.input
class RecordRequirementsInput:
    opportunity_id: strawberry.ID
    requirements: list[RequirementInput] = strawberry.field(description="Replaces the whole list.")
    expected_version: int | None = None


@strawberry.input
class ConfirmRequirementsInput:
    opportunity_id: strawberry.ID
    confirmed_by: str = strawberry.field(description="The customer's person who confirmed the requirements.")
    expected_version: int | None = None


@strawberry.input
class SubmitSolutionInput:
    opportunity_id: strawberry.ID
    summary: str
    details: str | None = None
    expected_version: int | None = None


@strawberry.input
class ReviewSolutionInput:
    opportunity_id: strawberry.ID
    decision: ReviewDecision
    technical_feasibility: str | None = None
    serviceability: str | None = None
    comments: str | None = strawberry.field(default=None, description="Required when requesting changes.")
    expected_version: int | None = None


@strawberry.input
class OpportunityActionInput:
    opportunity_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class AcknowledgeRegistrationInput:
    opportunity_id: strawberry.ID
    service_lead_id: strawberry.ID
    preparation_notes: str | None = strawberry.field(
        default=None, description="Anything else about the preparation (free text)."
    )
    preparation_staff_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The service staff prepared for the project."
    )
    preparation_tools: list[str] | None = None
    preparation_materials: list[str] | None = None
    expected_version: int | None = None


@strawberry.input
class MarkWonInput:
    opportunity_id: strawberry.ID
    order_id: strawberry.ID = strawberry.field(description="The signed order; the same customer's.")
    expected_version: int | None = None


@strawberry.input
class MarkLostInput:
    opportunity_id: strawberry.ID
    reason: str
    expected_version: int | None = None


@strawberry.type
class OpportunityPayload:
    opportunity: Opportunity | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
