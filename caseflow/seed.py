"""Departments every installation needs, and the demo users `caseflow dev` creates.

Demo tokens and demo passwords are public (printed and documented) and exist only where
`seed_demo` ran: never in production, where `caseflow user add` issues random tokens and takes
the passwords administrators choose.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import Department, Subscription, User
from caseflow.domain import Role
from caseflow.passwords import hash_password
from caseflow.security import hash_token

DEPARTMENTS: dict[str, str] = {
    "customer_service": "Customer service 客服部",
    "product": "Product 产品部",
    "marketing": "Marketing 市场部",
    "policy": "Policy 政策部",
    "network_ops": "Network operations 网络运维部",
}


@dataclass(frozen=True)
class DemoUser:
    id: str
    name: str
    role: Role
    department: str | None
    token: str
    password: str | None = None  # staff sign in to the pages with it; channels have none
    regulator: bool = False  # a regulator's channel: files appeals


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "agent.cs",
        "Li Na (customer service agent)",
        Role.AGENT,
        "customer_service",
        "demo-agent-cs",
        "agent-cs-demo",
    ),
    DemoUser(
        "agent.product",
        "Wang Wei (product agent)",
        Role.AGENT,
        "product",
        "demo-agent-product",
        "agent-product-demo",
    ),
    DemoUser(
        "agent.network",
        "Zhang Min (network agent)",
        Role.AGENT,
        "network_ops",
        "demo-agent-network",
        "agent-network-demo",
    ),
    DemoUser(
        "supervisor",
        "Chen Jing (floor supervisor)",
        Role.SUPERVISOR,
        None,
        "demo-supervisor",
        "supervisor-demo",
    ),
    DemoUser("admin", "Admin", Role.ADMIN, None, "demo-admin", "admin-demo"),
    DemoUser("channel.hotline", "10000 hotline IVR", Role.CHANNEL, None, "demo-channel-hotline"),
    DemoUser("channel.app", "Mobile app", Role.CHANNEL, None, "demo-channel-app"),
    DemoUser(
        "channel.miit",
        "MIIT telecom appeal centre 工信部申诉中心",
        Role.CHANNEL,
        None,
        "demo-channel-miit",
        regulator=True,
    ),
)


async def seed_departments(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for dept_id, name in DEPARTMENTS.items():
            await conn.execute(
                insert(Department).values(id=dept_id, name=name).on_conflict_do_nothing()
            )


async def upsert_user(
    engine: AsyncEngine,
    user_id: str,
    name: str,
    role: Role,
    department: str | None,
    token: str,
    password: str | None = None,
    *,
    regulator: bool = False,
    **contact: str | bool | None,
) -> None:
    """Create or update a user. A password is set only when given (and never for an intake
    channel); `contact` sets email, phone, ladder_role or on_duty."""
    if password is not None and role is Role.CHANNEL:
        raise ValueError("intake channels sign in with tokens only, never with a password")
    values = dict(
        id=user_id,
        name=name,
        role=role.value,
        department=department,
        token_hash=hash_token(token),
        active=True,
        regulator=regulator,
        **contact,
    )
    if password is not None:
        values["password_hash"] = hash_password(password)
    async with engine.begin() as conn:
        stmt = insert(User).values(**values)
        await conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))


# Demo customers' services, for unsubscribe cases: (phone, service, monthly fee in cents).
DEMO_SUBSCRIPTIONS: tuple[tuple[str, str, int], ...] = (
    ("13800138000", "voice", 3800),
    ("13800138000", "sms", 500),
    ("13800138000", "data", 5000),
    ("13800138000", "vas:music", 1000),
    ("13900139000", "voice", 3800),
    ("13900139000", "data", 3000),
    ("13900139000", "vas:video", 1500),
)


async def seed_demo_subscriptions(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for phone, service, fee in DEMO_SUBSCRIPTIONS:
            await conn.execute(
                insert(Subscription)
                .values(phone=phone, service=service, status="active", monthly_fee_cents=fee)
                .on_conflict_do_nothing(constraint="uq_subscriptions_phone_service")
            )


async def seed_demo(engine: AsyncEngine) -> tuple[DemoUser, ...]:
    """Departments, demo users and demo subscriptions (idempotent: safe on every start)."""
    await seed_departments(engine)
    for user in DEMO_USERS:
        await upsert_user(
            engine,
            user.id,
            user.name,
            user.role,
            user.department,
            user.token,
            user.password,
            regulator=user.regulator,
        )
    await seed_demo_subscriptions(engine)
    return DEMO_USERS
