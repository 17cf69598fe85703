"""The demo's notifications: most come by themselves from the seeders' causes (assignments, invitations,
returned handoffs, action items made and sent back); this adds the causes no other seeder has — a
problem reported from a service job, and the SLA watcher's first scan (SLA alerts, action items due
soon and overdue) — then marks each person's older half read, so every inbox shows both states."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models import Notification, ServiceJob
from services import tickets
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_improvement import users_by_id
from services.demo_world import DemoWorld
from services.sla_watcher import SlaWatcher


async def seed_notifications(world: DemoWorld) -> None:
    now = world.clock.now()
    by_id = users_by_id(world.users)
    async with world.sessions() as session:
        job = await session.scalar(
            select(ServiceJob)
            .where(ServiceJob.order_id.is_not(None), ServiceJob.technician_id.is_not(None))
            .order_by(ServiceJob.scheduled_start.desc(), ServiceJob.id)
            .limit(1)
        )
    if job is not None and job.technician_id in by_id:
        clock = ManualClock(now)  # after the whole history, so the log still reads in time order
        technician = principal_of_user(by_id[job.technician_id])
        async with demo_unit_of_work(world.sessions, technician, clock, world.event_horizon) as uow:
            await tickets.report_service_job_problem(
                uow,
                job.id,
                subject="Mounting bracket does not fit the customer's frame",
                description="Measured on site: the frame is 12 mm narrower than the drawing.",
                priority="HIGH",
            )
    await SlaWatcher(world.sessions, world.clock).run_once()
    async with world.sessions() as session, session.begin():
        rows = list(
            (await session.scalars(select(Notification).order_by(Notification.user_id, Notification.seq))).all()
        )
        per_person: dict[object, list[Notification]] = {}
        for row in rows:
            per_person.setdefault(row.user_id, []).append(row)
        for inbox in per_person.values():
            for row in inbox[: len(inbox) // 2]:  # the older half, read a while after it came
                row.read_at = min(row.created_at + timedelta(hours=2), now)
