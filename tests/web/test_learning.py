"""The learning loop in a real browser: an agent names the entry that fitted, an editor
accepts or ignores what was learnt, a flag shows it, and a gap becomes a new entry."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.web.conftest import shot
from tests.web.test_pages import api

pytestmark = pytest.mark.slow


def suggested(site, entry_id: str) -> list[dict]:
    return api(site, "GET", f"/entries/{entry_id}/suggestions", "editor")["suggestions"]


def taken_over(site, queries: list[str], offered: str, used: str) -> None:
    """Each message answered by a human with `used` after the sidebar offered `offered`."""
    for query in queries:
        api(site, "POST", "/feedback/agent", "agent", {
            "query": query, "entry_id": offered, "outcome": "takeover", "used_entry_id": used})


def searchable(site, query: str, entry_id: str) -> dict:
    """The search answer once `entry_id` tops it: a saved entry is indexed in the background
    (within a second on a quiet machine; CI's is busy, so the wait is generous)."""
    deadline = time.monotonic() + 30
    while True:
        found = api(site, "POST", "/search", "editor", {"q": query})
        top = found["results"][0]["id"] if found["results"] else None
        if top == entry_id or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_an_agent_names_the_entry_that_fitted_and_an_editor_accepts_it(open_page, site):
    page = open_page("/sidebar", role="agent", width=380)
    message = "昨天刚下单今天就便宜了五十块，订单4401928475522"
    page.fill("#q", message)
    page.wait_for_selector("#results > li")
    first = page.locator("#results > li").first
    first.locator("button.danger").click()
    step = first.locator(".takeover-step")
    step.locator(".pick-query").fill("价格保护 降价补差价")
    option = step.locator(".pick-results li").first
    picked = option.get_attribute("data-id")
    option.click()
    expect(option).to_have_class("picked")
    shot(page, "sidebar-takeover-pick")
    step.locator("button.submit").click()
    page.wait_for_selector(".toast.show:has-text('建议问法')")
    (learnt,) = [s for s in suggested(site, picked) if "便宜了五十块" in s["text"]]
    assert "4401928475522" not in learnt["text"] and learnt["strong"] == 1

    page = open_page(f"/author#entries/{picked}", role="editor")
    row = page.locator(f"#suggestions li[data-suggestion='{learnt['id']}']")
    expect(row).to_be_visible()
    assert "人工确认 1 次" in row.inner_text()
    shot(page, "author-suggestions")
    version = int(page.inner_text("#version").split(" ")[0][1:])
    row.locator(".suggestion-text").fill("刚下单就便宜了五十块能补差价吗")
    row.locator("button.accept").click()
    page.wait_for_selector(f"#version:has-text('v{version + 1}')")
    assert "刚下单就便宜了五十块能补差价吗" in page.input_value("#f-questions")
    assert "采纳建议问法" in page.locator("#versions").inner_text()
    expect(page.locator(f"#suggestions li[data-suggestion='{learnt['id']}']")).to_have_count(0)
    assert page.errors == []


def test_the_editor_lists_entries_waiting_for_review_and_opens_one(open_page, site):
    waiting = api(site, "GET", "/suggestions?limit=200", "editor")["entries"]
    assert waiting, "the simulated traffic taught something"
    first = waiting[0]
    page = open_page("/author#learnt", role="editor")
    rows = page.locator("#learnt-entries li")
    expect(rows.first).to_have_attribute("data-id", first["entry_id"])
    assert rows.count() == len(waiting)
    assert f"{first['suggestions']} 条建议问法" in rows.first.inner_text()
    assert "待审建议" in page.locator("nav a.active").inner_text()
    shot(page, "author-learnt")
    rows.first.locator("a").click()
    page.wait_for_selector("#suggestions li[data-suggestion]")
    assert page.input_value("#f-id") == first["entry_id"]
    assert page.errors == []


def test_an_ignored_suggestion_leaves_and_is_not_suggested_again(open_page, site):
    body = {"query": "发票能不能晚点再开给我", "entry_id": "invoice-reissue",
            "outcome": "takeover", "used_entry_id": "invoice-request"}  # fmt: skip
    api(site, "POST", "/feedback/agent", "agent", body)
    (learnt,) = [s for s in suggested(site, "invoice-request") if "晚点再开" in s["text"]]
    page = open_page("/author#entries/invoice-request", role="editor")
    row = page.locator(f"#suggestions li[data-suggestion='{learnt['id']}']")
    row.locator("button.reject").click()
    page.wait_for_selector(".toast.show:has-text('不会再建议')")
    expect(row).to_have_count(0)
    api(site, "POST", "/feedback/agent", "editor", body | {"query": "发票能不能晚点再开给我呢"})
    assert not [s for s in suggested(site, "invoice-request") if "晚点再开" in s["text"]]
    assert page.errors == []


def test_an_editor_adds_a_suggested_keyword_to_the_lexicon_and_ignores_another(open_page, site):
    taken_over(site, ["发票上的单位名称写错了 要重新盖章吗", "单位名称打错了能改吗 盖章的那种",
                      "开票的单位名称不对"], "invoice-request", "invoice-reissue")  # fmt: skip
    page = open_page("/author#entries/invoice-reissue", role="editor")
    row = page.locator("#keyword-suggestions li[data-word='单位名称']")
    expect(row).to_be_visible()
    assert "出现在本条目 3 条学到的问法里" in row.inner_text()
    row.scroll_into_view_if_needed()
    shot(page, "author-keyword-suggestions")
    page.locator("#keyword-suggestions li[data-word='盖章'] button.reject").click()
    page.wait_for_selector(".toast.show:has-text('不会再建议')")
    expect(page.locator("#keyword-suggestions li[data-word='盖章']")).to_have_count(0)
    version = int(page.inner_text("#version").split(" ")[0][1:])
    row.locator("button.accept").click()
    page.wait_for_selector(f"#version:has-text('v{version + 1}')")
    assert "单位名称" in page.input_value("#f-keywords")
    assert "盖章" not in page.input_value("#f-keywords")
    assert "采纳建议关键词" in page.locator("#versions").inner_text()
    expect(page.locator("#keyword-suggestions li[data-word='单位名称']")).to_have_count(0)
    words = api(site, "GET", "/entries/invoice-reissue/keyword-suggestions", "editor")["keywords"]
    assert not {"单位名称", "盖章"} & {k["word"] for k in words}
    assert page.errors == []


def test_an_editor_adds_a_suggested_word_as_the_synonym_the_engine_proposes(open_page, site):
    taken_over(site, ["用完起了皮疹 能赔偿吗", "擦了以后一身皮疹 要求赔偿", "皮疹好多睡不着"],
               "health-food-discomfort", "allergy-cosmetics")
    page = open_page("/author#entries/allergy-cosmetics", role="editor")
    row = page.locator("#keyword-suggestions li[data-word='皮疹']")
    expect(row).to_be_visible()
    assert "意思接近「起疹子」" in row.inner_text()
    assert row.locator("select.keyword-as").input_value() == "起疹子"  # proposed, chosen first
    other = page.locator("#keyword-suggestions li[data-word='赔偿'] select.keyword-as")
    assert other.input_value() == ""  # 作为新关键词: no keyword of the entry says it
    row.scroll_into_view_if_needed()
    shot(page, "author-keyword-synonym")
    version = int(page.inner_text("#version").split(" ")[0][1:])
    row.locator("button.accept").click()
    page.wait_for_selector(".toast.show:has-text('加为「起疹子」的同义词')")
    page.wait_for_selector(f"#version:has-text('v{version + 1}')")
    lines = page.input_value("#f-keywords").splitlines()
    assert next(ln for ln in lines if ln.startswith("起疹子")).endswith(", 皮疹")
    assert "皮疹" not in [ln.split(":")[0] for ln in lines]
    assert page.errors == []


def test_a_gap_becomes_an_entry_from_the_dashboard(open_page, site):
    messages = ["可以用数字人民币付款吗", "支持数字人民币支付不", "数字人民币能用吗"]
    for message in messages:
        made = api(site, "POST", "/recommend", "bot", {"query": message})
        api(site, "POST", "/feedback", "bot",
            {"recommendation_id": made["recommendation_id"], "outcome": "takeover"})
    page = open_page("/author#dashboard", role="editor")
    gap = page.locator("#gaps li", has_text="数字人民币")
    gap.locator("button.create-entry").click()
    page.wait_for_selector("#gap-note")
    assert "数字人民币" in page.input_value("#f-questions")
    assert "数字人民币" in page.input_value("#f-title")
    assert page.input_value("#f-id").startswith("gap-")
    assert page.input_value("#f-solution") == ""
    shot(page, "author-gap-draft")
    page.fill("#f-title", "数字人民币支付")
    page.fill("#f-solution", "亲，目前支持数字人民币支付：在收银台选择“数字人民币”即可。")
    page.fill("#f-note", "从知识缺口创建")  # the form's note went with a new entry, too
    page.click("#save")
    page.wait_for_selector("#version:has-text('v1')")
    entry_id = page.input_value("#f-id")
    assert api(site, "GET", f"/entries/{entry_id}", "editor")["entry"]["status"] == "published"
    found = searchable(site, "可以用数字人民币付款吗", entry_id)
    assert found["confident"], found["results"][0]
    gaps = api(site, "GET", "/gaps", "editor")["gaps"]
    assert not [g for g in gaps if "数字人民币" in g["label"]]
    assert page.errors == []


def test_a_flag_shows_what_its_failed_conversations_taught(open_page, site):
    flagged = api(site, "GET", "/flags", "editor")["flags"]
    taught = [f for f in flagged if f["suggestions"]]
    assert taught, "the simulated traffic's takeovers name the entries humans used"
    page = open_page("/author", role="editor")
    card = page.locator(f"article.flag[data-entry='{taught[0]['entry_id']}']")
    expect(card.locator(".learnt li").first).to_be_visible()
    assert card.locator(".learnt li").count() == len(taught[0]["suggestions"])
    assert page.errors == []
