"""The sidebar and the authoring UI in a real browser (Chromium, headless), against `kb serve`."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from kb.store import Store
from tests.web.conftest import shot

pytestmark = pytest.mark.slow


def api(site, method: str, path: str, role: str = "admin", body: dict | None = None) -> dict:
    base, keys, _ = site
    request = urllib.request.Request(
        base + "/api/v1" + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {keys[role]}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_log_in_with_a_key_and_see_the_flag_queue(open_page, site):
    page = open_page("/author")
    first = page.locator("article.flag").first
    # each flag's trend arrives after the queue, in whatever order the server answers
    first.locator("svg.chart").wait_for()
    assert page.locator(".login").count() == 0
    assert "接管率" in first.inner_text() and first.locator("svg.chart").count() == 1
    assert first.locator(".evidence li").count() >= 1
    # v1 is marked on the first day it served, the chart's first day here (saved by import)
    mark = first.locator("svg.chart text.mark")
    assert mark.all_text_contents() == ["v1"]
    stats = api(site, "GET", f"/entries/{first.get_attribute('data-entry')}/stats")
    assert mark.get_attribute("data-day") == min(d["day"] for d in stats["days"])
    shot(page, "author-flags")
    assert page.errors == []


def test_a_wrong_key_is_refused_in_words(open_page, site):
    page = open_page("/author", login=False)
    page.fill("input[name=key]", "kb_not-a-real-key-000000000000000000000000")
    page.click(".login button[type=submit]")
    page.wait_for_selector("#login-error:has-text('API key 无效或已被吊销')")
    assert page.locator("article.flag").count() == 0


def test_sidebar_finds_the_entry_copies_it_and_moves_with_arrows(open_page, site):
    page = open_page("/sidebar", role="agent", width=380)
    page.fill("#q", "买的裙子不喜欢可以退货吗")
    page.wait_for_selector("#results > li")
    first = page.locator("#results > li").first
    assert first.get_attribute("data-id") == "return-7day-no-reason"
    assert "七天无理由" in first.locator(".title").inner_text()
    solution = api(site, "GET", "/entries/return-7day-no-reason")["entry"]["solution"]
    slots = first.locator("input.slot")
    for i in range(slots.count()):
        name = slots.nth(i).get_attribute("data-slot")
        slots.nth(i).fill(f"<{name}>")
        solution = solution.replace("{" + name + "}", f"<{name}>")
    page.press("#q", "Enter")
    page.wait_for_selector(".toast.show:has-text('已复制')")
    assert page.evaluate("navigator.clipboard.readText()") == solution
    page.fill("#q", "发票")  # only the topic: its scenarios to choose from, arrows between them
    page.locator("#results > li").nth(2).wait_for()
    assert "客户只说了「发票」" in page.locator("#status").inner_text()
    topics = page.locator("#results > li .meta").all_inner_texts()
    assert len(topics) == 3 and all(t.startswith("发票") for t in topics)
    page.press("#q", "ArrowDown")
    assert "selected" in (page.locator("#results > li").nth(1).get_attribute("class") or "")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380  # no sideways scroll
    shot(page, "sidebar")
    assert page.errors == []


def test_sidebar_reports_a_takeover(open_page, site):
    page = open_page("/sidebar", role="agent", width=380)
    page.fill("#q", "优惠券用不了")
    page.wait_for_selector("#results > li")
    entry_id = page.locator("#results > li").first.get_attribute("data-id")
    page.locator("#results > li").first.locator("button.danger").click()
    page.locator(".takeover-step button.skip").click()  # the optional step: nothing to add
    page.wait_for_selector(".toast.show:has-text('已记录')")
    store = Store(site[2])
    rows = store.db.execute(
        "SELECT entry_id, outcome, query FROM recommendations WHERE channel = 'sidebar'"
    ).fetchall()
    store.close()
    assert (entry_id, "takeover", "优惠券用不了") in rows


def test_an_editor_rewrites_a_flagged_entry_sees_the_diff_and_rolls_back(open_page):
    page = open_page("/author", role="editor")
    page.wait_for_selector("article.flag")
    page.locator("article.flag").first.locator("button:has-text('改写')").click()
    page.wait_for_selector("#f-solution")
    context = page.locator("#flag-context")  # the flag's evidence beside the form
    assert "待改写：接管率" in context.inner_text() and context.locator(".evidence li").count() >= 1
    shot(page, "author-editor-flag")
    before = page.input_value("#f-solution")
    page.fill("#f-solution", before + "\n改写：先核对订单状态，再给出对应的操作入口。")
    page.fill("#f-note", "按失败对话补充")
    page.click("#save")
    page.wait_for_selector("#version:has-text('v2')")
    assert page.inner_text("#version") == "v2 · 已发布"  # status words in Chinese
    assert page.locator("#versions tr[data-version='2']").count() == 1
    page.wait_for_selector("#diff table.diff")
    assert "改写：先核对订单状态" in page.locator("#diff").inner_text()
    shot(page, "author-editor")
    assert page.locator("#flag-context").count() == 0  # the rewrite closed the flag
    page.locator("#versions tr[data-version='1'] button.rollback").click()
    page.wait_for_selector("#version:has-text('v3')")
    assert page.input_value("#f-solution") == before
    page.wait_for_selector("#flag-context")  # back to the flagged words: the flag reopens
    assert "回滚到 v1" in page.locator("#versions").inner_text()
    assert page.errors == []


def test_inline_validation_errors(open_page):
    page = open_page("/author#entries/coupon-return-refund", role="editor")
    page.wait_for_selector("#f-title")
    page.fill("#f-title", "")
    page.fill("#f-related", "no-such-entry")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.click("#save")
    page.wait_for_selector(".field-error[data-field=title]:has-text('不能为空')")
    related = page.locator(".field-error[data-field=related]").inner_text()
    assert related == "条目「no-such-entry」不存在", related
    assert page.inner_text("#form-error") == "有字段需要修改，见下方红字"
    # the title's error is above the fold after saving from the bottom: the page goes there
    assert page.evaluate("document.activeElement.id") == "f-title"
    box = page.locator("#f-title").bounding_box()
    assert 0 <= box["y"] <= page.viewport_size["height"]


def test_a_keyword_diff_names_the_keywords_added_removed_and_changed(open_page):
    page = open_page("/author#entries/invoice-reissue", role="editor")
    page.wait_for_selector("#f-keywords")
    lines = page.input_value("#f-keywords").splitlines()
    first_word = lines[0].split(":")[0]
    edited = [f"{first_word}: 改开发票", *lines[2:], "换抬头: 改抬头"]
    removed = lines[1].split(":")[0]
    page.fill("#f-keywords", "\n".join(edited))
    page.click("#save")
    page.wait_for_selector("#diff table.diff tr.keyword")
    rows = page.locator("#diff tr.keyword")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert rows.count() == 3, texts
    assert any("换抬头：改抬头" in t for t in texts)  # added
    assert any(removed in t for t in texts)  # removed
    assert any(f"{first_word}：改开发票" in t for t in texts)  # changed
    assert "{" not in page.locator("#diff").inner_text()
    shot(page, "author-keyword-diff")


def test_two_editors_saving_the_same_entry_get_a_conflict(open_page):
    one = open_page("/author#entries/coupon-cannot-use", role="editor")
    two = open_page("/author#entries/coupon-cannot-use", role="editor-2")
    for page in (one, two):
        page.wait_for_selector("#f-solution")
    one.fill("#f-title", "优惠券无法使用（编辑一）")
    one.click("#save")
    one.wait_for_selector("#version:has-text('v2')")
    two.select_option("#f-urgency", "high")
    two.click("#save")
    two.wait_for_selector("#conflict")
    text = two.locator("#conflict").inner_text()
    assert "保存冲突" in text and "优惠券无法使用（编辑一）" in text
    shot(two, "author-conflict")


def test_the_test_box_ranks_the_draft(open_page):
    page = open_page("/author#entries/new", role="editor")
    page.wait_for_selector("#f-id")
    page.fill("#f-id", "privacy-packaging")
    page.select_option("#f-topic", "logistics")
    page.fill("#f-title", "隐私包装发货")
    page.fill("#f-questions", "能用隐私包装发货吗\n外包装别写是什么东西")
    page.fill("#f-keywords", "隐私包装: 保密发货, 不写商品名")
    page.fill("#f-solution", "亲，可以在订单备注里写明隐私包装。")
    page.fill("#test-query", "快递单上能不写商品名吗 保密发货")
    page.click("#test-run")
    page.wait_for_selector("#test-result li.draft")
    assert "草稿排第 1 位" in page.locator("#test-result").inner_text()


def test_graph_view_and_dashboard_draw(open_page):
    page = open_page("/author#entries/return-7day-no-reason", role="editor")
    page.wait_for_selector("svg.graph g.node")
    assert page.locator("svg.graph g.node.case").count() >= 1
    assert page.locator("svg.graph g.node.keyword").count() >= 1
    graph = page.locator("svg.graph")
    before = graph.get_attribute("viewBox")
    graph.hover()
    page.mouse.wheel(0, -300)  # zoom in around the pointer
    expect(graph).not_to_have_attribute("viewBox", before)
    linked = page.locator("svg.graph g.node.entry.link").first
    target = linked.get_attribute("data-id").split(":", 1)[1]
    linked.dispatch_event("click")
    page.wait_for_selector(f"#f-id[value='{target}']")
    assert page.url.endswith(f"#entries/{target}")
    page.goto(page.url.split("#")[0] + "#dashboard")
    page.wait_for_selector("#gaps li")
    assert page.locator("svg.chart").count() == 2
    headers = page.locator("#top-entries thead th").all_inner_texts()
    assert headers == ["场景", "推荐次数", "转人工率"]
    assert page.locator("svg.chart text.threshold-label").first.text_content() == "改写线 30%"
    legend = page.locator(".legend").inner_text()
    assert "退货退款" in legend or "物流配送" in legend  # topic names, not ids
    assert "returns" not in legend and "logistics" not in legend
    shot(page, "author-dashboard")
    assert page.errors == []
    icon = page.request.get(page.url.split("#")[0].replace("/author", "/favicon.ico"))
    assert icon.ok and "svg" in icon.headers["content-type"]


def test_the_entry_filter_asks_the_server(open_page, site):
    """The list holds one page; the filter searches every entry, by title or id in any case."""
    page = open_page("/author#entries", role="editor")
    listed = page.locator(".entry-list li")
    listed.first.wait_for()
    page.fill("input[aria-label='筛选条目']", "退货")
    found = api(site, "GET", "/entries?q=%E9%80%80%E8%B4%A7&limit=200")["entries"]  # 退货
    wanted = [e["id"] for e in found]
    expect(listed).to_have_count(len(wanted))
    assert [li.get_attribute("data-id") for li in listed.all()] == wanted
    page.fill("input[aria-label='筛选条目']", "RETURN-7DAY")
    expect(listed).to_have_count(1)
    assert listed.first.get_attribute("data-id") == "return-7day-no-reason"
    page.fill("input[aria-label='筛选条目']", "没有这种条目")
    expect(page.locator(".entry-list p:has-text('没有匹配的条目')")).to_be_visible()
    expect(listed).to_have_count(0)
    shot(page, "author-entry-filter")


def test_a_bot_key_cannot_open_the_editor(open_page):
    page = open_page("/author", role="bot")
    page.wait_for_selector("#login-error:has-text('没有权限')")
    assert page.locator("article.flag").count() == 0


def test_entry_text_is_shown_as_text_not_html(open_page, site):
    current = api(site, "GET", "/entries/return-shipping-fee")["entry"]
    evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> 运费险理赔'
    api(site, "PUT", "/entries/return-shipping-fee", "editor",
        current | {"solution": evil, "base_version": current["version"]})  # fmt: skip
    page = open_page("/sidebar", role="agent", width=380)
    page.fill("#q", "退货运费谁出")
    page.wait_for_selector("#results > li[data-id='return-shipping-fee']")
    item = page.locator("#results > li[data-id='return-shipping-fee']")
    assert "<script>window.pwned=2</script>" in item.locator(".solution").inner_text()
    assert item.locator("img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_keys_never_reach_the_server_log_or_a_url(open_page, site):
    _, keys, db = site
    page = open_page("/author", role="editor")
    page.wait_for_selector("article.flag")
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(page.url.split("#")[0] + "#dashboard")
    page.wait_for_selector("#gaps")
    assert urls and not any(key in url for url in urls for key in keys.values())
    log = (db.parent / "serve.log").read_text()
    assert not any(key in log for key in keys.values())


def test_an_editor_adds_and_changes_a_case(open_page, site):
    page = open_page("/author#entries/invoice-request", role="editor")
    page.wait_for_selector("#cases li[data-case]")
    page.fill("#case-customer", "公司报销要发票，下单时忘了填抬头")
    page.fill("#case-action", "引导在订单详情补开发票，填写单位抬头和税号")
    page.click("#case-save")
    page.wait_for_selector("#cases li:has-text('下单时忘了填抬头')")
    added = page.locator("#cases li:has-text('下单时忘了填抬头')")
    added.locator("button.case-edit").click()
    page.fill("#case-action", "补开电子发票，抬头和税号核对无误后提交")
    page.select_option("#case-outcome", "escalated")
    page.click("#case-save")
    page.wait_for_selector("#cases li:has-text('补开电子发票')")
    store = Store(site[2])
    rows = store.db.execute(
        "SELECT action, outcome FROM cases WHERE customer = '公司报销要发票，下单时忘了填抬头'"
    ).fetchall()
    store.close()
    assert rows == [("补开电子发票，抬头和税号核对无误后提交", "escalated")]


def test_the_rewritten_view_shows_the_rate_before_and_after(open_page, site):
    flags = api(site, "GET", "/flags")["flags"]
    flag = flags[-1]
    entry = api(site, "GET", f"/entries/{flag['entry_id']}")["entry"]
    body = {k: v for k, v in entry.items() if k != "version"}
    body["solution"] += "\n（改写：补充了常见追问的答复）"
    api(site, "PUT", f"/entries/{flag['entry_id']}", body=body | {"base_version": entry["version"]})
    page = open_page("/author#flags/rewritten", role="editor")
    card = page.locator(f"article.rewritten[data-entry='{flag['entry_id']}']")
    card.wait_for()
    text = card.inner_text()
    assert f"改写前 v{flag['version']}" in text and "改写后" in text
    (done,) = [f for f in api(site, "GET", "/flags?status=rewritten")["flags"]
               if f["entry_id"] == flag["entry_id"]]  # fmt: skip
    assert f"接管率 {done['before']['rate'] * 100:.1f}%" in text
    assert done["before"]["served"] > 0 and "改写后还没有流量" in text  # no traffic on v2 yet
    assert page.locator(".queue-tabs a.active").inner_text() == "已改写"
    shot(page, "author-rewritten")
    page.click(".queue-tabs a:has-text('待改写')")
    page.wait_for_selector(".queue-tabs a.active:has-text('待改写')")
    assert page.locator(f"article.flag[data-entry='{flag['entry_id']}']").count() == 0


def test_a_lexicon_conflict_is_settled_in_one_click(open_page, site):
    page = open_page("/author#conflicts", role="editor")
    item = page.locator("li.conflict-item[data-word='不想要了']")
    item.wait_for()
    assert "同时识别 2 个场景" in item.inner_text() and "七天无理由退货" in item.inner_text()
    assert item.locator("a[href='#entries/cosmetics-opened-return']").count() == 1
    shot(page, "author-conflicts")
    item.locator("button.keep[data-entry='return-7day-no-reason']").click()
    page.wait_for_selector(".toast.show:has-text('已只保留在')")
    page.wait_for_selector("li.conflict-item[data-word='不想要了']", state="detached")
    other = api(site, "GET", "/entries/cosmetics-opened-return")["entry"]["keywords"]
    assert all(w != "不想要了" for k, syns in other.items() for w in (k, *syns))
    kept = api(site, "GET", "/entries/return-7day-no-reason")["entry"]["keywords"]
    assert any(w == "不想要了" for k, syns in kept.items() for w in (k, *syns))
