"""The sidebar as an agent uses it all day: slots, input methods, weak hits, long pastes,
double clicks, keys and one login per browser (issue 14, items 1-8)."""

from __future__ import annotations

import pytest

from kb.store import Store
from tests.web.conftest import shot

pytestmark = pytest.mark.slow


def _search(page, message: str):
    page.fill("#q", message)
    page.wait_for_selector("#results > li, #weak:not([hidden])")


def test_slots_are_filled_from_the_message_and_copy_waits_for_the_rest(open_page):
    page = open_page("/sidebar", role="agent", width=380)
    _search(page, "我的快递到哪了 运单号 SF1402938475566")
    first = page.locator("#results > li").first
    assert first.get_attribute("data-id") == "logistics-tracking"
    assert first.locator("input[data-slot=tracking_no]").input_value() == "SF1402938475566"
    assert first.locator("input[data-slot=order_id]").input_value() == ""
    page.evaluate("navigator.clipboard.writeText('before')")
    page.press("#q", "Enter")
    page.wait_for_selector(".toast.show:has-text('请先填写：订单号')")
    assert page.evaluate("navigator.clipboard.readText()") == "before"
    assert "missing" in first.locator("input[data-slot=order_id]").get_attribute("class")
    shot(page, "sidebar-slots")
    first.locator("input[data-slot=order_id]").fill("4028817736512")
    page.press("#q", "Enter")
    page.wait_for_selector(".toast.show:has-text('已复制')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "4028817736512" in copied and "SF1402938475566" in copied and "{" not in copied


def test_an_entry_that_must_go_to_a_human_says_so(open_page):
    page = open_page("/sidebar", role="agent", width=380)
    _search(page, "订单号 4028817736512 买的面霜过敏了 脸上起红疹")
    first = page.locator("#results > li").first
    assert first.get_attribute("data-id") == "allergy-cosmetics"
    assert first.locator(".badge:has-text('须转人工')").count() == 1
    assert first.locator("input[data-slot=order_id]").input_value() == "4028817736512"
    assert first.locator(".meta").inner_text().startswith("美妆与健康安全")  # name, not id


def test_pinyin_being_composed_is_not_searched_and_enter_does_not_copy(open_page):
    page = open_page("/sidebar", role="agent", width=380)
    page.focus("#q")
    cdp = page.context.new_cdp_session(page)
    page.evaluate("navigator.clipboard.writeText('before')")
    for typed in ("f", "fa", "fap", "fapiao"):
        cdp.send("Input.imeSetComposition", {"text": typed, "selectionStart": len(typed),
                                             "selectionEnd": len(typed)})  # fmt: skip
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Enter", "code": "Enter",
                                        "windowsVirtualKeyCode": 229})  # fmt: skip
    page.wait_for_timeout(400)  # what a search would take to show, had one been sent
    assert page.locator("#results > li").count() == 0
    assert page.inner_text("#status") == "输入客户消息开始搜索"
    assert page.evaluate("navigator.clipboard.readText()") == "before"
    cdp.send("Input.insertText", {"text": "发票抬头开错了"})
    page.wait_for_selector("#results > li")
    assert page.locator("#results > li").first.get_attribute("data-id") == "invoice-reissue"


def test_a_vague_message_shows_the_choices_recommend_would_offer(open_page):
    page = open_page("/sidebar", role="agent", width=380)
    _search(page, "发票怎么弄")
    body = page.evaluate(
        "fetch('/api/v1/search?q=' + encodeURIComponent('发票怎么弄'), {headers: "
        "{Authorization: 'Bearer ' + localStorage.getItem('kefu-kb.key')}}).then(r => r.json())"
    )
    shown = [li.get_attribute("data-id") for li in page.locator("#results > li").all()]
    assert not body["confident"] and body["suggested"] and shown == body["suggested"]
    shot(page, "sidebar-suggested")


def test_weak_hits_are_folded_away_without_a_copy_button(open_page):
    page = open_page("/sidebar", role="agent", width=380)
    _search(page, "今天天气怎么样")
    assert page.locator("#results > li").count() == 0
    weak = page.locator("#weak")
    assert weak.is_visible() and "可能相关" in weak.locator("summary").inner_text()
    weak.locator("summary").click()
    assert weak.locator(".card").count() >= 1 and weak.locator("button").count() == 0
    assert "只是可能相关" in page.inner_text("#status")
    shot(page, "sidebar-weak")


def test_a_scenario_the_customer_contradicts_says_why(open_page):
    """已经发货了: the 未发货 cancellation is folded away, and its card says what clashed."""
    page = open_page("/sidebar", role="agent", width=380)
    _search(page, "已经发货了 我想取消订单")
    assert page.locator("#results > li").first.get_attribute("data-id") == "order-cancel-shipped"
    assert page.locator("#results .conflict").count() == 0
    page.locator("#weak > summary").click()
    card = page.locator("#weak .card[data-id=order-cancel-unshipped]")
    assert card.locator(".conflict").inner_text() == "客户说“已发货”，与此场景不符"
    shot(page, "sidebar-contradicted")


def test_a_long_paste_is_searched_by_its_beginning_and_says_so(open_page):
    page = open_page("/sidebar", role="agent", width=380)
    message = "发票抬头开错了能重开吗 " + "我再补充说明一下情况，" * 80
    _search(page, message)
    assert f"消息较长（{len(message)} 字），只搜索了前 500 字" in page.inner_text("#status")
    assert page.locator("#results > li").first.get_attribute("data-id") == "invoice-reissue"


def test_a_double_click_reports_once(open_page, site):
    page = open_page("/sidebar", role="agent", width=380)
    query = "发票抬头开错了 能重开吗？"
    _search(page, query)
    page.locator("#results > li").first.locator("button.danger").dblclick()
    assert page.locator(".takeover-step").count() == 1  # the second click opens no second step
    page.locator(".takeover-step button.skip").dblclick()
    page.wait_for_selector(".toast.show:has-text('已记录')")
    page.wait_for_timeout(500)  # a second request, had one gone out, lands meanwhile
    assert page.locator("#results > li").first.locator("button.danger").is_disabled()
    store = Store(site[2])
    count = store.db.execute(
        "SELECT COUNT(*) FROM recommendations WHERE channel = 'sidebar' AND query = ?", [query]
    ).fetchone()[0]
    store.close()
    assert count == 1


def test_keyboard_esc_clears_and_ctrl_enter_marks_solved(open_page, site):
    page = open_page("/sidebar", role="agent", width=380)
    assert "Esc 清空" in page.inner_text("#hint")
    query = "优惠券用不了怎么办"
    _search(page, query)
    entry_id = page.locator("#results > li").first.get_attribute("data-id")
    page.press("#q", "Control+Enter")
    page.wait_for_selector(".toast.show:has-text('答案解决了问题')")
    store = Store(site[2])
    rows = store.db.execute(
        "SELECT entry_id, outcome FROM recommendations WHERE channel = 'sidebar' AND query = ?",
        [query],
    ).fetchall()
    store.close()
    assert rows == [(entry_id, "resolved")]
    page.press("#q", "Escape")
    assert page.input_value("#q") == ""
    page.wait_for_selector("#results > li", state="detached")


def test_one_login_serves_every_tab_and_errors_are_chinese(open_page, site):
    page = open_page("/sidebar", role="agent", width=380)
    page.wait_for_selector(".login", state="detached")
    second = page.context.new_page()
    second.goto(site[0] + "/sidebar")
    second.fill("#q", "发票抬头开错了能重开吗")
    second.wait_for_selector("#results > li")
    assert second.locator(".login").count() == 0
    page.context.set_offline(True)
    second.fill("#q", "发票怎么开")
    second.wait_for_selector("#status:has-text('连不上服务器')")
    page.context.set_offline(False)


def test_an_angry_or_threatening_customer_is_named_above_the_answers(open_page):
    page = open_page("/sidebar", role="agent", width=380)
    _search(page, "再不处理我就打12315投诉你们！！！")
    mood = page.locator("#mood")
    assert mood.is_visible() and "投诉" in mood.inner_text() and "转人工" in mood.inner_text()
    shot(page, "sidebar-angry")
    _search(page, "发票抬头开错了能重开吗")
    page.wait_for_selector("#mood", state="hidden")
