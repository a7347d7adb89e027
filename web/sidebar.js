// The agent sidebar: search as you type, arrows to move, Enter copies the selected answer.
// An answer with slots ({order_id}) is copied only once every slot is filled; weak hits
// (neither confident nor among the choices recommend would offer) are folded away without a copy button.
import { api, debounce, el, highlighted, login, said, toast } from "/web/api.js";
import { showQueue } from "/web/queue.js";

const box = document.getElementById("q");
const list = document.getElementById("results");
const weak = document.getElementById("weak");
const status = document.getElementById("status");
const dym = document.getElementById("dym");
const mood = document.getElementById("mood");
let results = [];
let selected = 0;
let asked = "";
let sequence = 0;
let composing = false; // an input method is mid-word: "fapiao" is not a query yet
const reported = new Set(); // message + entry already reported: a second click sends nothing
const topicNames = {}; // topic id -> name: people read names, not ids

const URGENCY = { high: "紧急", medium: "一般", low: "不急" };
const SLOTS = { order_id: "订单号", tracking_no: "运单号", refund_amount: "退款金额", deadline: "截止时间" };
const SLOT = /\{(\w+)\}/g;

// Where a slot's value may already be in the customer's message.
const FOUND = {
  order_id: [/订单(?:号|编号)?\s*[:：]?\s*(\d{8,24})/, /(?<![\dA-Za-z])(\d{12,24})(?!\d)/],
  tracking_no: [/(?:运单|快递单|物流单)号?\s*[:：]?\s*([A-Za-z]{0,4}\d{8,20})/,
    /(?<![A-Za-z])((?:SF|YT|JD|ZTO|STO|YD|JT|EMS)\d{8,18})/i],
  refund_amount: [/(\d+(?:\.\d{1,2})?)\s*(?:元|块)/, /[¥￥]\s*(\d+(?:\.\d{1,2})?)/],
};

function found(name, message) {
  for (const pattern of FOUND[name] || []) {
    const match = message.match(pattern);
    if (match) return match[1];
  }
  return "";
}

async function search() {
  const q = box.value.trim();
  const mine = ++sequence;
  if (!q) { render([], null); status.textContent = "输入客户消息开始搜索"; return; }
  status.textContent = "搜索中…";
  try {
    const body = await api("/search", { method: "POST", body: { q, top: 5, truncate: true } });
    if (mine !== sequence) return; // a newer keystroke won
    asked = q;
    render(body.results, body);
    const cut = body.truncated_from
      ? `消息较长（${body.truncated_from} 字），只搜索了前 ${body.query.length} 字。` : "";
    const which = body.narrowed_to
      ? `客户只说了「${body.narrowed_to.name}」，下面是这一类的具体场景，请先确认是哪一种` : "";
    status.textContent = cut + (results.length
      ? (body.confident ? `找到 ${results.length} 条` : which || "没有十分确定的答案，请核对后再用")
      : (body.results.length ? "没有可以直接用的答案，下面只是可能相关的" : "没有找到相关知识"));
  } catch (error) {
    if (mine === sequence) status.textContent = `出错了：${said(error)}`;
  }
}

// How the customer sounds, as recommend hears it: anger and threats go to a human at once.
function sounds(emotion) {
  const angry = emotion && emotion.label === "angry", threat = emotion && emotion.threat;
  mood.hidden = !(angry || threat || (emotion && emotion.label === "anxious"));
  if (mood.hidden) return;
  mood.className = angry || threat ? "angry" : "anxious";
  mood.textContent = threat ? "客户提到投诉或曝光：先安抚，按投诉流程尽快转人工跟进"
    : angry ? "客户很生气：先安抚情绪，再给答案；需要时转人工"
      : "客户很着急：先说明处理时间，再给答案";
}

function render(hits, body) {
  sounds(body && body.emotion);
  const offered = (body && body.suggested) || [];
  const strong = hits.filter((h, i) => (i === 0 && body.confident) || offered.includes(h.id));
  const faint = hits.filter((h) => !strong.includes(h));
  results = strong;
  selected = 0;
  list.replaceChildren(...strong.map((hit, i) => item(hit, i, body)));
  weak.hidden = !faint.length;
  weak.replaceChildren(el("summary", {}, `可能相关（${faint.length}）`),
    ...faint.map((hit) => el("div", { class: "card faint", dataset: { id: hit.id } },
      el("div", { class: "title" }, hit.title),
      el("div", { class: "meta muted" }, `${topicNames[hit.topic] || hit.topic} · 置信度 ${Math.round(hit.confidence * 100)}%`),
      conflict(hit))));
  // a neighbouring scenario is offered only when it is one of the cards it would select
  const alts = ((body && body.did_you_mean) || []).filter((a) => strong.some((h) => h.id === a.entry_id));
  dym.hidden = !alts.length;
  if (!dym.hidden) {
    dym.replaceChildren("您是不是要找：", ...alts.map((alt) =>
      el("button", { onclick: () => choose(strong.findIndex((h) => h.id === alt.entry_id)) },
        `${alt.title}（${alt.keyword}）`)));
  }
  mark();
}

// Why a scenario went last: the message says the opposite happened (已发货 against 未发货).
function conflict(hit) {
  const said = hit.contradicts || [];
  return said.length ? el("div", { class: "conflict" }, `客户说“${said.join("、")}”，与此场景不符`) : null;
}

// The solution with each {slot} as a small field, prefilled from the message when it has one.
function answer(hit) {
  const parts = [];
  let at = 0;
  for (const match of hit.solution.matchAll(SLOT)) {
    parts.push(match.index > at ? hit.solution.slice(at, match.index) : null);
    const name = match[1];
    parts.push(el("input", { class: "slot", dataset: { slot: name }, value: found(name, box.value),
      placeholder: SLOTS[name] || name, "aria-label": SLOTS[name] || name,
      onclick: (e) => e.stopPropagation(), oninput: (e) => e.target.classList.remove("missing") }));
    at = match.index + match[0].length;
  }
  parts.push(hit.solution.slice(at));
  return parts.map((p) => (typeof p === "string" ? highlighted(p, hit.words) : p));
}

function item(hit, i, body) {
  hit.words = [...(hit.matched.keywords || []), ...(hit.matched.terms || [])];
  const cases = (body.cases || []).filter((c) => c.via === hit.id || (c.entries || []).includes(hit.id));
  const done = reported.has(`${asked}\u0000${hit.id}`);
  return el("li", { dataset: { id: hit.id }, onclick: () => choose(i) },
    el("div", { class: "card" },
      el("div", { class: "row" },
        el("span", { class: "title grow" }, hit.title),
        hit.handoff === "always" ? el("span", { class: "badge high" }, "须转人工") : null,
        el("span", { class: `badge ${hit.urgency}` }, URGENCY[hit.urgency] || hit.urgency)),
      el("div", { class: "meta muted" }, `${topicNames[hit.topic] || hit.topic} · 置信度 ${Math.round(hit.confidence * 100)}%`),
      conflict(hit),
      el("div", { class: "solution" }, ...answer(hit)),
      el("div", { class: "actions" },
        el("button", { class: "primary", onclick: (e) => { e.stopPropagation(); copy(i); } }, "复制答案"),
        el("button", { class: "report", disabled: done, onclick: (e) => { e.stopPropagation(); report(hit, "resolved"); } }, "已解决"),
        el("button", { class: "report danger", disabled: done, onclick: (e) => { e.stopPropagation(); notApplicable(hit); } }, "不适用，我来答")),
      cases.length ? el("details", {},
        el("summary", {}, `相似案例（${cases.length}）`),
        el("ul", {}, ...cases.map((c) => el("li", {},
          el("div", {}, `客户：${c.customer}`),
          el("div", {}, `处理：${c.action}`),
          el("div", { class: "case-why" }, c.why))))) : null));
}

function mark() {
  [...list.children].forEach((li, i) => li.classList.toggle("selected", i === selected));
  const current = list.children[selected];
  if (current) current.scrollIntoView({ block: "nearest" });
}

function choose(i) {
  if (i < 0 || i >= results.length) return;
  selected = i;
  mark();
}

async function copy(i) {
  const hit = results[i];
  if (!hit) return;
  const slots = [...list.children[i].querySelectorAll("input.slot")];
  const empty = slots.filter((s) => !s.value.trim());
  if (empty.length) {
    empty.forEach((s) => s.classList.add("missing"));
    empty[0].focus();
    toast(`请先填写：${empty.map((s) => SLOTS[s.dataset.slot] || s.dataset.slot).join("、")}`);
    return;
  }
  const values = Object.fromEntries(slots.map((s) => [s.dataset.slot, s.value.trim()]));
  try {
    await navigator.clipboard.writeText(hit.solution.replace(SLOT, (_, name) => values[name]));
    toast("已复制答案");
  } catch {
    toast("复制失败：浏览器不允许访问剪贴板");
  }
}

async function report(hit, outcome, evidence = {}) {
  const id = `${asked}\u0000${hit.id}`;
  if (reported.has(id)) return;
  reported.add(id);
  const li = list.querySelector(`li[data-id="${CSS.escape(hit.id)}"]`);
  if (li) li.querySelectorAll("button.report").forEach((b) => { b.disabled = true; });
  try {
    await api("/feedback/agent", { method: "POST", body: { query: asked, entry_id: hit.id, outcome, ...evidence } });
    toast(outcome === "resolved" ? "已记录：答案解决了问题"
      : evidence.used_entry_id ? "已记录：这条消息会作为建议问法交给编辑" : "已记录：需要人工回答");
  } catch (error) {
    reported.delete(id);
    if (li) li.querySelectorAll("button.report").forEach((b) => { b.disabled = false; });
    toast(`记录失败：${said(error)}`);
  }
}

// "不适用，我来答", one optional step: which entry did fit (a search picker), or what the
// agent wrote. Either teaches the knowledge base; 跳过 records the takeover alone.
function notApplicable(hit) {
  const li = list.querySelector(`li[data-id="${CSS.escape(hit.id)}"]`);
  if (!li || li.querySelector(".takeover-step")) return;
  let picked = null;
  const find = el("input", { class: "pick-query", placeholder: "搜索适用的知识（可选）", "aria-label": "搜索适用的知识",
    value: asked, onclick: (e) => e.stopPropagation() });
  const options = el("ul", { class: "pick-results" });
  const reply = el("textarea", { class: "pick-reply", rows: 2, placeholder: "或者写下你的回答（可选）", "aria-label": "你的回答",
    onclick: (e) => e.stopPropagation() });
  const lookup = debounce(async () => {
    const q = find.value.trim();
    if (!q) { options.replaceChildren(); return; }
    try {
      const body = await api("/search", { method: "POST", body: { q, top: 5 } });
      options.replaceChildren(...body.results.filter((h) => h.id !== hit.id).map((h) => el("li", {
        class: picked === h.id ? "picked" : "", dataset: { id: h.id },
        onclick: (e) => {
          e.stopPropagation();
          picked = picked === h.id ? null : h.id;
          options.querySelectorAll("li").forEach((o) => o.classList.toggle("picked", o.dataset.id === picked));
        } }, h.title)));
    } catch (error) { options.replaceChildren(el("li", { class: "muted" }, `搜索失败：${said(error)}`)); }
  }, 150);
  find.addEventListener("input", lookup);
  const close = (evidence) => { step.remove(); report(hit, "takeover", evidence); };
  const step = el("div", { class: "takeover-step", onclick: (e) => e.stopPropagation() },
    el("div", { class: "muted" }, "哪条知识适用？选中它，这条消息会成为它的建议问法："),
    find, options, reply,
    el("div", { class: "actions" },
      el("button", { class: "primary submit", onclick: () => close({
        ...(picked ? { used_entry_id: picked } : {}), ...(reply.value.trim() ? { agent_reply: reply.value.trim() } : {}) }) }, "提交"),
      el("button", { class: "skip", onclick: () => close({}) }, "跳过")));
  li.querySelector(".card").append(step);
  lookup();
  find.focus();
}

function clear() {
  box.value = "";
  search();
}

const later = debounce(search, 30); // short: results within 100 ms of the last key
box.addEventListener("compositionstart", () => { composing = true; });
box.addEventListener("compositionend", () => { composing = false; later(); });
box.addEventListener("input", (event) => { if (!composing && !event.isComposing) later(); });
box.addEventListener("keydown", (event) => {
  if (composing || event.isComposing || event.keyCode === 229) return; // the IME's own keys
  if (event.key === "ArrowDown") { event.preventDefault(); choose(Math.min(selected + 1, results.length - 1)); }
  else if (event.key === "ArrowUp") { event.preventDefault(); choose(Math.max(selected - 1, 0)); }
  else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    if (results[selected]) report(results[selected], "resolved");
  } else if (event.key === "Enter") { event.preventDefault(); copy(selected); }
  else if (event.key === "Escape") { event.preventDefault(); clear(); }
});

// Two tabs: searching the knowledge base, and the queue of handoffs to take.
function tab(name) {
  const queue = name === "queue";
  document.getElementById("search-view").hidden = queue;
  document.getElementById("queue-view").hidden = !queue;
  document.getElementById("tab-search").setAttribute("aria-selected", String(!queue));
  document.getElementById("tab-queue").setAttribute("aria-selected", String(queue));
  if (queue) showQueue(document.getElementById("queue-view"));
  else box.focus();
}
document.getElementById("tab-search").addEventListener("click", () => tab("search"));
document.getElementById("tab-queue").addEventListener("click", () => tab("queue"));

login("/topics", async () => {
  box.focus();
  const { topics } = await api("/topics");
  for (const t of topics) topicNames[t.id] = t.name;
});
