"""The reports' figures against hand-written read-model rows (snapshots and audit events) in a
month no other test touches, with every expectation counted by hand in the comments."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from openpyxl import load_workbook

from caseflow.policy import PolicyBook
from caseflow.readmodel.maintenance import StatisticsReports
from caseflow.report_export import report_json, report_xlsx
from caseflow.reports import report_csv
from tests.db.rows import delete_rows, insert_case, window

P = "RPX-"
TZ = PolicyBook.load(None).active.timezone  # the packaged policy's zone (Asia/Shanghai)
# 1 November 2031, 00:00 in Shanghai is 31 October, 16:00 UTC.
NOV_START = datetime(2031, 10, 31, 16, 0, tzinfo=UTC)
DEC_START = datetime(2031, 11, 30, 16, 0, tzinfo=UTC)
MID = datetime(2031, 11, 15, 2, 0, tzinfo=UTC)


def resolution(by: str) -> dict:
    return {"department": "cs", "process": "p", "result": "r", "resolved_by": by, "evidence": ""}


def verdict(value: str) -> dict:
    return {"satisfaction": value, "recorded_by": "x", "comment": ""}


@pytest_asyncio.fixture(scope="module")
async def seeded(db_engine):
    cases = [
        # C1: complaint resolved in time at first contact by agent.a, called back, satisfied.
        dict(
            case_id=P + "C1",
            case_type="complaint",
            phase="archived",
            category="service",
            assignee="agent.a",
            state={
                "outcome": "resolved",
                "windows": {"handling": window("met")},
                "resolution": resolution("agent.a"),
                "satisfaction": verdict("satisfied"),
            },
            events=[
                ("intake", "channel.hotline"),
                ("accepted", "agent.a"),
                ("callback", "agent.a"),
            ],
        ),
        # C2: resolved late (handling breached, then met late); basically satisfied.
        dict(
            case_id=P + "C2",
            case_type="complaint",
            phase="archived",
            category="service",
            assignee="agent.a",
            state={
                "outcome": "resolved",
                "windows": {"handling": window("met_late")},
                "resolution": resolution("agent.a"),
                "satisfaction": verdict("basically_satisfied"),
            },
            events=[
                ("intake", "channel.hotline"),
                ("accepted", "agent.a"),
                ("breach", "system", {"_window": "handling"}),
                ("callback", "agent.a"),
            ],
        ),
        # C3: transferred, resolved in time by agent.b; three unanswered callback attempts
        # (outcome unreachable); a repeat of C1.
        dict(
            case_id=P + "C3",
            case_type="complaint",
            phase="archived",
            category="product",
            assignee="agent.b",
            state={
                "outcome": "unreachable",
                "transfer_count": 1,
                "windows": {"handling": window("met")},
                "resolution": resolution("agent.b"),
                "links": {"repeat_of": P + "C1"},
            },
            events=[
                ("intake", "channel.hotline"),
                ("accepted", "agent.a"),
                ("transferred", "agent.a"),
                ("accepted", "agent.b"),
                ("callback_attempt", "agent.b", {"attempt": "1", "reached": "false"}),
                ("callback_attempt", "agent.b", {"attempt": "2", "reached": "false"}),
                ("callback_attempt", "agent.b", {"attempt": "3", "reached": "false"}),
            ],
        ),
        # C4: result delivered, waiting for its callback; reopened once before.
        dict(
            case_id=P + "C4",
            case_type="complaint",
            phase="feedback_given",
            category="product",
            assignee="agent.b",
            reopen_count=1,
            state={
                "windows": {"handling": window("met"), "follow_up": window("running")},
                "resolution": resolution("agent.b"),
            },
            events=[("intake", "channel.hotline"), ("accepted", "agent.b")],
        ),
        # C5: an inquiry answered and resolved at first contact, closed without a callback.
        dict(
            case_id=P + "C5",
            case_type="inquiry",
            phase="archived",
            assignee="agent.a",
            state={"outcome": "closed", "resolution": resolution("agent.a")},
            events=[("intake", "channel.hotline"), ("resolved_at_first_contact", "agent.a")],
        ),
        # C6: an inquiry converted into a complaint: in no rate's base.
        dict(
            case_id=P + "C6",
            case_type="inquiry",
            phase="archived",
            state={"outcome": "converted"},
            events=[("intake", "channel.hotline")],
        ),
        # C7: a fault restored in time by its outage; its assignee took it and called back.
        dict(
            case_id=P + "C7",
            case_type="fault",
            phase="archived",
            assignee="agent.n",
            state={
                "outcome": "resolved",
                "windows": {"restoration": window("met")},
                "fault": {
                    "service_number": "021-1",
                    "location": "x",
                    "restored_at": "2031-11-15T03:00:00Z",
                    "restored_by": "OUT-20311115-000001",
                },
                "satisfaction": verdict("satisfied"),
            },
            events=[
                ("intake", "channel.hotline"),
                ("accepted", "agent.n"),
                ("callback", "agent.n"),
            ],
        ),
        # C8: the outage itself: internal, in the window table and totals only.
        dict(
            case_id=P + "C8",
            case_type="outage",
            phase="archived",
            assignee="agent.n",
            state={"outcome": "restored", "windows": {"restoration": window("met")}},
            events=[("intake", "agent.n"), ("accepted", "agent.n")],
        ),
        # C9: a complaint still new.
        dict(case_id=P + "C9", case_type="complaint", phase="new", category="service"),
        # C10: an unsubscribe the customer declined: in no rate's base.
        dict(
            case_id=P + "C10",
            case_type="unsubscribe",
            phase="archived",
            state={"outcome": "declined"},
        ),
    ]
    for c in cases:
        closed = MID + timedelta(days=1) if c["phase"] == "archived" else None
        await insert_case(db_engine, opened_at=MID, closed_at=closed, **c)
    # The month's edges at local midnight: B1 and B4 are November's, B2 October's, B3 December's.
    edges = [
        ("B1", NOV_START, "complaint"),
        ("B2", NOV_START - timedelta(seconds=1), "complaint"),
        ("B3", DEC_START, "inquiry"),
        ("B4", DEC_START - timedelta(seconds=1), "inquiry"),
    ]
    for name, at, case_type in edges:
        category = "service" if case_type == "complaint" else None
        await insert_case(db_engine, P + name, case_type, "new", at, category=category)
    yield db_engine
    await delete_rows(db_engine, P)


async def test_month_figures_counted_by_hand(seeded):
    report = await StatisticsReports(seeded, TZ, base=20_000).report("2031-11")
    # C1-C10, B1 and B4: twelve cases; complaints C1-C4, C9, B1.
    assert (report.total, report.complaints) == (12, 6)
    # Decided: C1, C2, C3, C5, C7 (C6 converted and C10 declined count nowhere; C8 is internal).
    assert (report.archived, report.resolved) == (5, 5)
    # In time: all but C2, whose handling was breached (C5 never started its clock).
    assert report.resolved_on_time == 4 and report.resolution_rate == 0.8
    assert report.resolved_rate == 1.0
    # First contact: C1, C2, C5 (resolved at intake), C7 (its taker, the outage restored it);
    # C3 was transferred.
    assert report.first_contact == 4 and report.first_contact_rate == 0.8
    # Reached feedback: C1, C2, C3, C5 (owed), C7, C4 (result delivered); attempted: C1, C2,
    # C7 (callbacks) and C3 (three unanswered attempts); C4 waits, C5 was closed without one.
    assert (report.callback_base, report.callbacks) == (6, 4)
    assert round(report.callback_coverage, 4) == 0.6667
    # Verdicts: C1, C7 satisfied; C2 basically satisfied, not counted as satisfied.
    assert (report.satisfied, report.basically_satisfied, report.unsatisfied) == (2, 1, 0)
    assert round(report.satisfaction_rate, 4) == 0.6667
    assert report.satisfied_or_basically_rate == 1.0
    # Reopened: C4, of the six whose result reached the customer.
    assert (report.reopened, report.reopen_base) == (1, 6)
    # Repeat complaints: C3 of six complaints; 6 complaints per 20 000 customers = 3 per 10 000.
    assert report.repeat_complaints == 1 and report.complaints_per_10k == 3.0
    assert report.unclassified == 0


async def test_per_agent_figures(seeded):
    report = await StatisticsReports(seeded, TZ).report("2031-11")
    agents = {a.agent: a for a in report.agents}
    assert set(agents) == {"agent.a", "agent.b", "agent.n"}
    a, b, n = agents["agent.a"], agents["agent.b"], agents["agent.n"]
    # agent.a recorded C1, C2 and C5; C2 was late; C1 satisfied, C2 basically.
    assert (a.handled, a.on_time, a.satisfied, a.basically_satisfied, a.reopened) == (3, 2, 1, 1, 0)
    assert a.satisfaction_rate == 0.5
    # agent.b: C3 and C4, both in time; C4 was reopened; no verdicts.
    assert (b.handled, b.on_time, b.satisfied, b.reopened) == (2, 2, 0, 1)
    assert b.satisfaction_rate is None
    # agent.n: the fault C7 (restored by its outage, held by agent.n); the outage is internal.
    assert (n.handled, n.on_time, n.satisfied) == (1, 1, 1)


async def test_statistics_by_category(seeded):
    report = await StatisticsReports(seeded, TZ).report("2031-11")
    rows = {(c.month, c.case_type, c.category): c for c in report.categories}
    service = rows[("2031-11", "complaint", "service")]  # C1, C2, C9, B1
    assert (service.cases, service.decided, service.resolved, service.resolved_on_time) == (
        4,
        2,
        2,
        1,
    )
    product = rows[("2031-11", "complaint", "product")]  # C3, C4
    assert (product.cases, product.decided, product.resolved_on_time) == (2, 1, 1)
    assert rows[("2031-11", "inquiry", "-")].cases == 3  # C5, C6, B4
    assert rows[("2031-11", "unsubscribe", "-")].decided == 0  # declined


async def test_a_quarter_is_cut_at_local_midnight_and_split_by_month(seeded):
    report = await StatisticsReports(seeded, TZ, base_by_month={"2031-10": 10_000}).report(
        "2031-Q4"
    )
    assert report.label == "2031-Q4"
    assert report.since == datetime(2031, 9, 30, 16, tzinfo=UTC)
    assert report.until == datetime(2031, 12, 31, 16, tzinfo=UTC)
    assert report.total == 14  # November's twelve, B2 (31 October) and B3 (1 December)
    months = {(c.month, c.case_type) for c in report.categories}
    assert ("2031-10", "complaint") in months and ("2031-12", "inquiry") in months
    # November and December have no configured base: no rate rather than a wrong one.
    assert report.customer_base is None and report.complaints_per_10k is None


async def test_csv_xlsx_and_json_carry_the_same_figures_and_sources(seeded):
    report = await StatisticsReports(seeded, TZ, base=20_000).report("2031-11")
    table = list(csv.reader(io.StringIO(report_csv(report))))
    metrics = {row[0]: row[1:] for row in table if len(row) == 3}
    assert metrics["resolution_rate"] == ["0.8000", "0.95"]
    assert metrics["satisfaction_rate"] == ["0.6667", "0.95"]
    assert metrics["basically_satisfied"] == ["1", ""]
    sources = {row[0]: row[1:] for row in table if len(row) == 4 and row[0] != "target_of"}
    assert sources["callback_coverage"] == [">=", "0.8", "000 §4.2"]
    assert sources["complaints_per_10k"] == ["<", "50", "000 §1.3.2"]

    book = load_workbook(io.BytesIO(report_xlsx(report)))
    assert book.sheetnames == ["概要", "目标依据", "时限", "分类统计", "部门", "坐席"]
    summary = book["概要"]
    header = [c.value for c in summary[1]]
    assert header == ["指标", "Metric", "数值", "分子", "分母", "目标", "依据", "是否达标"]
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True) if r[0]}
    assert rows["时限内解决率"][2:8] == (0.8, 4, 5, "≥ 0.95", "001 §9.1.4; 000 §7.2", "未达标")
    assert rows["基本满意"][2] == 1
    assert rows["万户投诉率（件/万户）"][2] == 3.0 and rows["万户投诉率（件/万户）"][7] == "达标"
    readings = {r[0]: r for r in book["目标依据"].iter_rows(values_only=True)}
    assert readings["满意率（仅计满意）"][1:3] == ("≥ 0.95", "000 §1.3.2")
    agents = list(book["坐席"].iter_rows(values_only=True))
    assert agents[0][:4] == ("坐席", "处理量", "按时", "按时率")
    assert agents[1][:3] == ("agent.a", 3, 2)
    categories = list(book["分类统计"].iter_rows(values_only=True))
    assert ("2031-11", "投诉", "服务", 4, 2, 2, 1) in categories

    data = report_json(report)
    figure = {f["key"]: f for f in data["figures"]}
    assert figure["resolution_rate"]["numerator"] == 4
    assert figure["resolution_rate"]["target"]["met"] is False
    assert figure["satisfaction_rate"]["target"]["source"] == "000 §1.3.2"
