"""The demo's notifications: most come by themselves from the seeders' causes (assignments, invitations,
returned handoffs, action items made and sent back); this adds the causes no other seeder has — a
problem reported from a service job, and the SLA watcher's first scan (SLA alerts, action items due
soon and overdue) — then marks each person's older half read, so every inbox shows both states."""

from __future__ import annotations

from datetime import timedelta

from db.repositories import notifications as notifications_repo
from db.repositories import service_jobs as jobs_repo
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
        job = await jobs_repo.latest_assigned_on_an_order(session)
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
        await notifications_repo.mark_older_half_read(session, timedelta(hours=2), now)
