"""The supervisors' pages in a real headless Chromium (Debian's, driven by Playwright), and the
report figures against a known set of cases."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import text

from tests.integration.conftest import auth, complaint_body
from tests.integration.pages_kit import browser, browser_sign_in, signed_in_client

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def page(stack):
    async with browser() as chromium:
        page = await chromium.new_page()
        await browser_sign_in(page, stack["base"], "supervisor")
        await page.goto(f"{stack['base']}/?lang=en")  # these tests read the English labels
        yield page


async def _breached_case(http) -> str:
    cid = (
        await http.post(
            "/api/v1/cases", json=complaint_body(channel="wechat"), headers=auth("channel")
        )
    ).json()["case_id"]
    for _ in range(100):
        case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
        if case["escalation"]["level"] >= 2:
            return cid
        await asyncio.sleep(0.2)
    raise AssertionError("the case never escalated")


async def test_floor_lists_breached_cases_first_with_live_countdowns(http, page, stack):
    await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    cid = await _breached_case(http)
    await page.goto(f"{stack['base']}/")
    first_row = page.locator("table[data-testid=cases] tbody tr").first
    assert "breached" in (await first_row.get_attribute("class"))
    ids = await page.locator("table[data-testid=cases] tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.case, r.className])"
    )
    breached = [i for i, (_, cls) in enumerate(ids) if "breached" in cls]
    assert breached == list(range(len(breached))) and cid in [c for c, _ in ids]
    countdown = page.locator(f"tr[data-case='{cid}'] .countdown")
    before = await countdown.inner_text()
    await page.wait_for_timeout(2100)
    after = await countdown.inner_text()
    assert before != after  # it ticks down in the browser
    # A breached case counts down to whatever comes first: here its 30-minute decision
    # window, due before the next escalation climb (L2 acts within 4 h).
    case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert case["next_window"] == "decision"
    assert case["next_deadline"] < case["escalation"]["next_at"]
    row = await page.locator(f"tr[data-case='{cid}']").inner_text()
    assert "decision" in row and "breached" in row and "L2" in row
    assert int(await page.locator("[data-testid=breached-count]").inner_text()) >= 1
    await page.screenshot(path="/tmp/caseflow-floor.png", full_page=True)


async def test_case_page_shows_the_timer_escalation_and_acknowledges_it(http, page, stack):
    cid = await _breached_case(http)
    await page.goto(f"{stack['base']}/cases/{cid}")
    assert "L2" in await page.locator("[data-testid=escalation]").inner_text()
    timeline = await page.locator("table[data-testid=timeline]").inner_text()
    assert "breach" in timeline and "escalated" in timeline and "warning" in timeline
    await page.screenshot(path="/tmp/caseflow-case.png", full_page=True)
    await page.click("[data-testid=act-acknowledge]")
    await page.wait_for_load_state()
    assert "Done: Acknowledge escalation" in await page.inner_text("[data-testid=done]")
    case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert case["escalation"]["acknowledged_by"] == "supervisor"


async def test_pages_need_a_sign_in(http):
    r = await http.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = await http.get("/login")
    assert r.status_code == 200 and "登录" in r.text  # Chinese unless asked otherwise


@pytest_asyncio.fixture
async def _report_rows(stack):
    yield
    from tests.conftest import delete_cases

    await delete_cases(stack["engine"], "RPT-")


async def test_report_figures_match_a_known_set(http, stack, _report_rows):
    month, start = "2001-03", datetime(2001, 3, 5, tzinfo=UTC)

    # 4 archived complaints: 3 resolved (2 with a satisfied callback, 1 unsatisfied), 1 that
    # was converted; 1 open inquiry with a breached response window. Response windows: 2 met,
    # 1 met late.
    def state(outcome, satisfaction, response_state):
        sat = f'{{"satisfaction": "{satisfaction}"}}' if satisfaction else "null"
        return (
            f'{{"outcome": {outcome}, "satisfaction": {sat}, "windows": '
            f'{{"response": {{"state": "{response_state}"}}}}}}'
        )

    cs, done = "customer_service", "archived"
    rows = [
        ("complaint", "service", cs, done, state('"resolved"', "satisfied", "met")),
        ("complaint", "service", cs, done, state('"resolved"', "satisfied", "met")),
        ("complaint", "product", "product", done, state('"resolved"', "unsatisfied", "met_late")),
        ("complaint", "product", "product", done, state('"converted"', None, "cancelled")),
        ("inquiry", None, cs, "new", state("null", None, "breached")),
    ]
    async with stack["engine"].begin() as conn:
        for case_type, category, dept, phase, st in rows:
            await conn.execute(
                text(
                    "INSERT INTO cases (case_id, case_type, phase, channel, category, tier, "
                    "department, escalation_level, breached, warned, policy_version, seq, "
                    "reopen_count, opened_at, updated_at, closed_at, state) "
                    "VALUES (:id, :t, :p, 'phone', :c, 'standard', :d, 1, false, false, '2026.1', "
                    "1, 0, :at, :at, :closed, CAST(:s AS jsonb))"
                ),
                {
                    "id": f"RPT-{uuid.uuid4().hex[:8]}",
                    "t": case_type,
                    "p": phase,
                    "c": category,
                    "d": dept,
                    "at": start,
                    "s": st,
                    "closed": start + timedelta(days=2) if phase == "archived" else None,
                },
            )
    async with signed_in_client(stack["base"], "supervisor") as pages:
        r = await pages.get("/reports.csv", params={"month": month})
        page = await pages.get("/reports", params={"month": month})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.text)))
    metrics = {row[0]: row[1] for row in table if len(row) == 3}
    assert metrics["cases"] == "5" and metrics["archived"] == "3"
    assert metrics["resolution_rate"] == "1.0000"  # 3 resolved of 3 decided (converted excluded)
    assert metrics["callback_coverage"] == "1.0000"
    assert metrics["satisfaction_rate"] == "0.6667"
    windows = {(row[0], row[1]): row for row in table if len(row) == 6}
    assert windows[("complaint", "response")][2:] == ["3", "2", "0", "0.6667"]
    assert windows[("inquiry", "response")][2:] == ["0", "0", "1", "0.0000"]
    categories = {(row[0], row[1]): row[2] for row in table if len(row) == 3}
    assert categories[("complaint", "service")] == "2"
    assert categories[("complaint", "product")] == "2"
    assert page.status_code == 200 and "66.7%" in page.text
