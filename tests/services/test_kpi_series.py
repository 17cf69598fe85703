"""The KPI series (services/reports.py `kpi_series`, every bucket from the same grouped statements) against
the reference: services/kpis.py `report` called once per bucket. Random periods, buckets, company time
zones, departments, people and report instants over the bulk demo's 12 months; equal figure by figure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from db.session import Database
from services import demo, kpis, reports
from services.clock import ManualClock
from services.demo_bulk import HISTORY
from services.rules.reports import TimeBucket

SEEDED_AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata", "Pacific/Chatham")
LONGEST = {TimeBucket.DAY: timedelta(days=45), TimeBucket.WEEK: timedelta(days=200), TimeBucket.MONTH: HISTORY}
EXAMPLES = 40


def figures(report: kpis.KpiReport) -> tuple:
    return (
        report.department,
        report.start,
        report.end,
        report.user_id,
        [(k.key, k.numerator, k.denominator) for k in report.kpis],
    )


async def per_bucket(session, *, department, start, end, bucket, zone, user_id, now) -> list[kpis.KpiReport]:
    """The reference: the KPI report of each bucket, one after another."""
    return [
        await kpis.report(session, department=department, start=s, end=e, user_id=user_id, now=now)
        for s, e in reports.buckets(start, end, bucket, zone)
    ]


@st.composite
def case(draw, people: dict[str, list]) -> dict:
    bucket = draw(st.sampled_from(list(TimeBucket)))
    first = SEEDED_AT - HISTORY - timedelta(days=20)  # a little before the data, to have empty buckets too
    start = first + timedelta(minutes=draw(st.integers(0, int((HISTORY + timedelta(days=40)).total_seconds() // 60))))
    length = timedelta(minutes=draw(st.integers(1, int(LONGEST[bucket].total_seconds() // 60))))
    # Period bounds given with some UTC offset; local midnights sometimes (the unclipped case).
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    if draw(st.booleans()):
        start = start.astimezone(zone).replace(hour=0, minute=0).astimezone(UTC)
    department = draw(st.sampled_from(kpis.DEPARTMENTS))
    user_id = draw(st.one_of(st.none(), st.sampled_from(people[department])))
    # The report's instant: after the data, or inside it (items still in their window are undecided).
    now = draw(st.sampled_from([SEEDED_AT, start + length / 2, start + length, start - timedelta(days=1)]))
    return {
        "department": department,
        "start": start,
        "end": start + length,
        "bucket": bucket,
        "zone": zone,
        "user_id": user_id,
        "now": now,
    }


def test_the_series_has_the_figures_of_the_kpis_of_each_bucket(db_url):
    loop = asyncio.new_event_loop()
    db = Database.connect(db_url, pool_size=2)
    try:
        logins = loop.run_until_complete(demo.seed(db.sessions, ManualClock(SEEDED_AT), customers=60, bulk=True))
        assert logins is not None

        async def members() -> dict[str, list]:
            async with db.sessions() as s:
                found = (await s.execute(text("SELECT department, id FROM users ORDER BY email"))).all()
            return {d: [i for dep, i in found if dep == d] for d in kpis.DEPARTMENTS}

        people = loop.run_until_complete(members())
        assert all(people.values()), people

        async def both(args: dict) -> tuple[list, list]:
            async with db.sessions() as s:
                series = await reports.kpi_series(s, **args)
                reference = await per_bucket(s, **args)
            return [figures(r) for r in series], [figures(r) for r in reference]

        # The data has figures for every KPI to compare: the whole year, department-wide.
        for department in kpis.DEPARTMENTS:
            args = {
                "department": department,
                "start": SEEDED_AT - HISTORY,
                "end": SEEDED_AT,
                "bucket": TimeBucket.MONTH,
                "zone": ZoneInfo("Asia/Shanghai"),
                "user_id": None,
                "now": SEEDED_AT,
            }
            series, reference = loop.run_until_complete(both(args))
            assert series == reference
            for key_index in range(len(series[0][4])):
                assert any(r[4][key_index][2] for r in series), (department, series[0][4][key_index][0])

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(args=case(people))
        def check(args: dict) -> None:
            series, reference = loop.run_until_complete(both(args))
            assert series == reference, args

        check()
    finally:
        loop.run_until_complete(db.dispose())
        loop.close()
