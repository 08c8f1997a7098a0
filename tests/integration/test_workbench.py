"""The floor as the people on it use it, in a real Chromium: Chinese first (and no tofu), the
English switch, an agent taking a complaint from intake to archive with the page's forms only,
a refusal said in Chinese, a cross-origin form post refused, sign-out revoking the session,
intake channels refused at sign-in, and failed sign-ins limited."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from caseflow.notify.delivery import DeliveryWorker
from caseflow.notify.port import PermanentDeliveryError
from tests.integration.conftest import _free_port, auth, complaint_body
from tests.integration.pages_kit import browser, browser_sign_in, forget_sign_in_failures

pytestmark = pytest.mark.integration
CUSTOMER = "欧阳娜娜"
# Laid out like the floor's monitors: a screenshot-sized viewport.
VIEWPORT = {"width": 1366, "height": 900}


@pytest_asyncio.fixture(autouse=True)
async def _no_earlier_failures(stack):
    await forget_sign_in_failures(stack["engine"])
    yield
    await forget_sign_in_failures(stack["engine"])


@pytest_asyncio.fixture
async def chromium(stack):
    async with browser() as b:
        yield b


async def _file_complaint(http: httpx.AsyncClient, **overrides) -> str:
    body = complaint_body(customer={"name": CUSTOMER, "phone": "13800138000"}, **overrides)
    r = await http.post("/api/v1/cases", json=body, headers=auth("channel"))
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def _act(page, action: str, **fields) -> None:
    """Fill the action's form on the case page and submit it."""
    form = page.locator(f"form[data-action='{action}']")
    for name, value in fields.items():
        field = form.locator(f"[name='{name}']")
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()


async def _phase(http, cid: str) -> str:
    return (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()["phase"]


async def test_the_floor_is_chinese_first_without_tofu(chromium, stack, http):
    cid = await _file_complaint(http)
    page = await chromium.new_page(viewport=VIEWPORT)
    await browser_sign_in(page, stack["base"], "supervisor")
    await page.goto(f"{stack['base']}/floor")
    assert await page.get_attribute("html", "lang") == "zh-CN"
    row = page.locator(f"tr[data-case='{cid}']")
    text = await row.inner_text()
    assert "投诉" in text and "待受理" in text and "欧阳娜娜" in text
    assert "监控大屏" in await page.inner_text("h1")
    # The CJK font is there and the browser draws the Chinese with it, not with boxes.
    assert await page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '投诉欧阳娜娜')")
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("DOM.enable")
    await cdp.send("CSS.enable")
    root = (await cdp.send("DOM.getDocument"))["root"]["nodeId"]
    cell = await cdp.send(
        "DOM.querySelector", {"nodeId": root, "selector": f"tr[data-case='{cid}'] td:last-child"}
    )
    fonts = (await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": cell["nodeId"]}))["fonts"]
    cjk = [f for f in fonts if "CJK" in f["familyName"]]
    assert cjk and sum(f["glyphCount"] for f in cjk) >= len(CUSTOMER), fonts
    # And measured: the name is as wide as CJK glyphs, not as the same number of .notdef boxes.
    widths = await page.evaluate(
        """([name]) => {
            const probe = (s) => { const e = document.createElement('span'); e.textContent = s;
              document.body.appendChild(e); const w = e.getBoundingClientRect().width; e.remove();
              return w; };
            const n = name.length;
            return [probe(name), probe('\\u{10FFFD}'.repeat(n)), probe('国'.repeat(n))];
        }""",
        [CUSTOMER],
    )
    name_width, boxes_width, cjk_width = widths
    assert abs(name_width - cjk_width) < 1.0 and abs(name_width - boxes_width) > 1.0, widths
    await page.screenshot(path="/tmp/caseflow-floor-zh.png")


async def test_switching_to_english_is_remembered(chromium, stack, http):
    cid = await _file_complaint(http)
    page = await chromium.new_page(viewport=VIEWPORT)
    await browser_sign_in(page, stack["base"], "supervisor")
    await page.goto(f"{stack['base']}/cases/{cid}")
    assert "待受理" in await page.inner_text("[data-testid=phase]")
    await page.click("[data-testid=lang-switch]")
    await page.wait_for_load_state()
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.inner_text("[data-testid=phase]") == "new"
    # Remembered in a cookie: the next page is English too, without ?lang.
    await page.goto(f"{stack['base']}/floor")
    assert "The floor" in await page.inner_text("h1")
    assert "complaint" in await page.locator(f"tr[data-case='{cid}']").inner_text()
    # ?lang works by itself as well, and switches back.
    await page.goto(f"{stack['base']}/floor?lang=zh-CN")
    assert "监控大屏" in await page.inner_text("h1")
    await page.screenshot(path="/tmp/caseflow-case-en.png")


async def test_an_agent_takes_a_complaint_from_intake_to_archive_with_the_forms(
    chromium, stack, http
):
    cid = await _file_complaint(http)
    page = await chromium.new_page(viewport=VIEWPORT)
    await browser_sign_in(page, stack["base"], "agent.cs")
    # The workbench: the new case waits among the department's unassigned ones.
    assert "我的工作台" in await page.inner_text("h1")
    unassigned = page.locator("[data-testid=unassigned]")
    assert await unassigned.locator(f"tr[data-case='{cid}'] .countdown").count() == 1
    await unassigned.locator(f"tr[data-case='{cid}'] a").click()
    await page.wait_for_url(f"{stack['base']}/cases/{cid}")
    # Only what the phase allows is offered.
    offered = await page.locator("form.action").evaluate_all("fs => fs.map(f => f.dataset.action)")
    assert "accept" in offered and "resolve" not in offered and "callback" not in offered
    await _act(page, "accept")
    assert "受理" in await page.inner_text("[data-testid=done]")
    assert await page.inner_text("[data-testid=phase]") == "处理中"
    # Now it is mine, first on the workbench.
    await page.goto(f"{stack['base']}/work")
    assert await page.locator(f"[data-testid=mine] tr[data-case='{cid}']").count() == 1
    await page.goto(f"{stack['base']}/cases/{cid}")
    await _act(page, "resolve", result="退还多收的30元", process="核对账单后退费")
    await _act(page, "feedback", message="已为您退还多收的30元话费")
    assert await page.inner_text("[data-testid=phase]") == "已反馈待回访"
    await _act(page, "callback", satisfaction="satisfied", comment="客户表示满意")
    assert await page.inner_text("[data-testid=phase]") == "已归档"
    assert await page.locator("form.action").count() == 0  # nothing left to do
    assert await _phase(http, cid) == "archived"
    case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert case["satisfaction"]["satisfaction"] == "satisfied"
    assert case["resolution"]["result"] == "退还多收的30元"
    # The outbox goes out through the real delivery loop; this case's staff alerts fail.
    delivery = DeliveryWorker(
        stack["engine"], FailingStaffAlerts(cid), timezone="UTC", max_attempts=1
    )
    # Other tests' notifications wait in the same outbox, oldest first: deliver them all.
    for _ in range(50):
        if not await delivery.run_once(batch=500):
            break
    await page.goto(f"{stack['base']}/cases/{cid}")
    notifications = page.locator("[data-testid=notifications]")
    statuses = await notifications.locator("tr[data-status]").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    assert "sent" in statuses and "failed" in statuses, statuses
    text = await notifications.inner_text()
    assert "已发送" in text and "发送失败" in text and "staff group unreachable" in text
    await page.screenshot(path="/tmp/caseflow-case-zh.png", full_page=True)
    # Failed notifications surface on the workbench and the floor: a count and a list.
    await page.goto(f"{stack['base']}/work")
    failed = page.locator("[data-testid=failed-notifications]")
    assert int(await failed.locator("[data-testid=failed-count]").inner_text()) >= 1
    assert await failed.locator(f"a[href='/cases/{cid}']").count() >= 1


class FailingStaffAlerts:
    """A gateway that delivers customers' messages and refuses staff alerts of one case."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id

    async def send(self, channel: str, recipient: str, subject: str | None, body: str) -> None:
        if channel == "internal" and self.case_id in body:
            raise PermanentDeliveryError("staff group unreachable")


async def test_a_refusal_is_shown_in_place_in_chinese(chromium, stack, http):
    cid = await _file_complaint(http)
    page = await chromium.new_page(viewport=VIEWPORT)
    await browser_sign_in(page, stack["base"], "agent.cs")
    await page.goto(f"{stack['base']}/cases/{cid}")
    # Transferring a case to the department it is in: the workflow refuses (same_department).
    await _act(page, "transfer", department="customer_service", reason="试一下")
    form = page.locator("form[data-action='transfer']")
    refusal = form.locator("[data-testid=refusal]")
    assert await refusal.get_attribute("data-code") == "same_department"
    assert await refusal.inner_text() == "该工单已在该部门，无需转派。"
    assert await form.locator("[name=reason]").input_value() == "试一下"  # kept for a retry
    await page.screenshot(path="/tmp/caseflow-refusal-zh.png", full_page=True)
    assert await _phase(http, cid) == "new"


async def test_a_cross_origin_form_post_is_refused(chromium, stack, http):
    """Another origin on the same host (same site, so the Lax session cookie goes along): its
    form posts an action to caseflow. The Origin check and the missing token refuse it."""
    cid = await _file_complaint(http)
    port = _free_port()
    attacker = web.Application()
    form = (
        f'<form method="post" action="{stack["base"]}/cases/{cid}/actions/note">'
        '<input name="text" value="pwned"><input name="csrf_token" value="guess">'
        '<button type="submit">go</button></form>'
    )
    attacker.router.add_get("/", lambda request: web.Response(text=form, content_type="text/html"))
    runner = web.AppRunner(attacker)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        page = await chromium.new_page()
        await browser_sign_in(page, stack["base"], "supervisor")
        await page.goto(f"http://127.0.0.1:{port}/")
        async with page.expect_navigation() as navigation:
            await page.click("button")
        response = await navigation.value
        assert response.status == 403
        assert await page.get_attribute("[data-testid=refused]", "data-code") == "cross_origin"
    finally:
        await runner.cleanup()
    events = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    assert not any(e["kind"] == "note" for e in events)


async def test_sign_out_revokes_the_session_cookie(chromium, stack):
    context = await chromium.new_context()
    page = await context.new_page()
    await browser_sign_in(page, stack["base"], "agent.cs")
    cookie = next(c for c in await context.cookies() if c["name"] == "caseflow_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    async with page.expect_navigation():
        await page.click("[data-testid=logout]")
    assert page.url == f"{stack['base']}/login"
    # The old cookie, put back by hand, opens nothing: the session is revoked on the server.
    await context.add_cookies([{**cookie, "expires": -1}])
    await page.goto(f"{stack['base']}/work")
    assert page.url == f"{stack['base']}/login"


async def test_intake_channels_are_refused_at_sign_in(chromium, stack):
    page = await chromium.new_page()
    await page.goto(f"{stack['base']}/login")
    await page.fill("input[name=username]", "channel.hotline")
    await page.fill("input[name=password]", "demo-channel-hotline")  # its token: no use here
    async with page.expect_navigation() as navigation:
        await page.click("form[action='/login'] button[type=submit]")
    assert (await navigation.value).status == 401
    assert "用户名或密码错误" in await page.inner_text("[data-testid=sign-in-error]")


async def test_failed_sign_ins_are_limited(chromium, stack):
    page = await chromium.new_page()
    statuses = []
    for password in ["wrong-1", "wrong-2", "wrong-3", "wrong-4", "wrong-5", "supervisor-demo"]:
        await page.goto(f"{stack['base']}/login")
        await page.fill("input[name=username]", "supervisor")
        await page.fill("input[name=password]", password)
        async with page.expect_navigation() as navigation:
            await page.click("form[action='/login'] button[type=submit]")
        statuses.append((await navigation.value).status)
    assert statuses == [401] * 5 + [429]  # even the right password waits now
    assert "登录失败次数过多" in await page.inner_text("[data-testid=sign-in-error]")
    await asyncio.sleep(0)  # the block is shared through PostgreSQL: see test_sessions.py
