"""Demo market intelligence (市場動態): posts of every kind by the demo's marketing people, in English and
Chinese, with tags (some shared, so the tag filter finds several) and, where a post is about one, a
customer; two of them edited later (one by its author, one by the admin), all made through the services
(each post and edit is on the timeline and in the event log)."""

from __future__ import annotations

from datetime import timedelta

from services import market_intel as service
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_people import SELLER_EMAILS
from services.demo_world import DemoWorld
from services.market_intel import NewMarketIntel

# (kind, title, body, tags, about a customer (index into the demo's customers) or None, days ago)
_POSTS: tuple[tuple[str, str, str, tuple[str, ...], int | None, int], ...] = (
    (
        "MARKET_TREND",
        "Variable-speed pumps are becoming the default",
        "Three tenders this quarter asked for variable-speed drives as standard; fixed-speed units are "
        "now quoted only as a budget option.",
        ("pumps", "energy saving"),
        None,
        40,
    ),
    (
        "MARKET_TREND",
        "工業客戶轉向預測性維護",
        "越來越多工廠要求遠端監控與預測性維護合約，而不是按次維修。",
        ("預測性維護", "IoT"),
        None,
        25,
    ),
    (
        "COMPETITOR",
        "競爭對手推出低價機型",
        "對手的新機型報價比我們低約百分之十，但保固只有一年。",
        ("競爭", "pricing"),
        1,
        33,
    ),
    (
        "COMPETITOR",
        "A rival now bundles installation for free",
        "Two customers in the East region mentioned free installation from a competitor; our quotes list it "
        "separately.",
        ("pricing", "installation"),
        2,
        12,
    ),
    (
        "CUSTOMER_NEED",
        "Remote monitoring for the cold-storage lines",
        "The plant engineer wants alarms on his phone when a compressor runs hot at night.",
        ("IoT", "monitoring"),
        0,
        20,
    ),
    (
        "CUSTOMER_NEED",
        "客戶需要中文操作手冊",
        "現場操作員希望設備附中文操作手冊和培訓影片。",
        ("documentation", "training"),
        3,
        8,
    ),
    (
        "REGULATION",
        "新的能源效率法規明年生效",
        "明年起新安裝的泵浦須符合一級能效，舊型號將無法投標。",
        ("法規", "energy saving"),
        None,
        30,
    ),
    (
        "REGULATION",
        "Refrigerant phase-down: R404A service limits",
        "From next year servicing with virgin R404A is restricted; customers with older chillers will ask for "
        "retrofits.",
        ("refrigerant", "compliance"),
        4,
        15,
    ),
    (
        "PRODUCT_FEEDBACK",
        "Control panel too hard to read in sunlight",
        "Outdoor installations report that the display is unreadable at noon; a brighter panel was asked for.",
        ("display", "outdoor"),
        5,
        18,
    ),
    (
        "PRODUCT_FEEDBACK",
        "安裝後噪音偏大",
        "兩家客戶反映夜間運轉噪音偏大，建議加裝減震墊。",
        ("noise", "installation"),
        6,
        6,
    ),
    (
        "OTHER",
        "Trade fair in Shanghai: booth confirmed",
        "We have a booth at the May trade fair; bring the new monitoring demo.",
        ("trade fair",),
        None,
        10,
    ),
    ("OTHER", "區域經銷商大會", "下季度召開經銷商大會，請各區準備客戶案例。", ("dealers",), None, 4),
)


async def seed_market_intel(world: DemoWorld) -> None:
    authors = [world.users[email] for email in SELLER_EMAILS]
    admin = world.users["admin@tandem.example"]
    now = world.clock.now()
    posted = []
    for i, (kind, title, body, tags, customer, ago) in enumerate(_POSTS):
        author = authors[i % len(authors)]
        customer_id = world.customers[customer].id if customer is not None and customer < len(world.customers) else None
        clock = ManualClock(now - timedelta(days=ago))
        async with demo_unit_of_work(world.sessions, principal_of_user(author), clock, world.event_horizon) as uow:
            intel = await service.post_market_intel(
                uow, NewMarketIntel(kind=kind, title=title, body=body, tags=list(tags), customer_id=customer_id)
            )
        posted.append((intel, author, clock))
    # Edits: the author adds what was learned since; the admin puts the fair's month in a title.
    first, author, clock = posted[0]
    clock.advance(days=2)
    async with demo_unit_of_work(world.sessions, principal_of_user(author), clock, world.event_horizon) as uow:
        await service.update_market_intel(
            uow,
            first.id,
            None,
            body=first.body + " Update: the last two tenders required them outright.",
            tags=[*first.tags, "tenders"],
        )
    other, _, clock = posted[-2]
    clock.advance(days=1)
    async with demo_unit_of_work(world.sessions, principal_of_user(admin), clock, world.event_horizon) as uow:
        await service.update_market_intel(uow, other.id, None, title="Trade fair in Shanghai (May): booth confirmed")
