// The agent sidebar: search as you type, arrows to move, Enter copies the selected answer.
import { api, debounce, el, highlighted, login, toast } from "/web/api.js";

const box = document.getElementById("q");
const list = document.getElementById("results");
const status = document.getElementById("status");
const dym = document.getElementById("dym");
let results = [];
let selected = 0;
let asked = "";
let sequence = 0;

const URGENCY = { high: "紧急", medium: "一般", low: "不急" };

async function search() {
  const q = box.value.trim();
  const mine = ++sequence;
  if (!q) { render([], null); status.textContent = "输入客户消息开始搜索"; return; }
  status.textContent = "搜索中…";
  try {
    const body = await api("/search", { method: "POST", body: { q, top: 5 } });
    if (mine !== sequence) return; // a newer keystroke won
    asked = q;
    render(body.results, body);
    status.textContent = body.results.length
      ? (body.confident ? `找到 ${body.results.length} 条` : "没有十分确定的答案，请核对后再用")
      : "没有找到相关知识";
  } catch (error) {
    if (mine === sequence) status.textContent = `出错了：${error.message}`;
  }
}

function render(hits, body) {
  results = hits;
  selected = 0;
  list.replaceChildren(...hits.map((hit, i) => item(hit, i, body)));
  dym.hidden = !(body && body.did_you_mean && body.did_you_mean.length);
  if (!dym.hidden) {
    dym.replaceChildren("您是不是要找：", ...body.did_you_mean.map((alt) =>
      el("button", { onclick: () => choose(hits.findIndex((h) => h.id === alt.entry_id)) },
        `${alt.title}（${alt.keyword}）`)));
  }
  mark();
}

function item(hit, i, body) {
  const words = [...(hit.matched.keywords || []), ...(hit.matched.terms || [])];
  const cases = (body.cases || []).filter((c) => c.via === hit.id || (c.entries || []).includes(hit.id));
  return el("li", { dataset: { id: hit.id }, onclick: () => choose(i) },
    el("div", { class: "card" },
      el("div", { class: "row" },
        el("span", { class: "title grow" }, hit.title),
        el("span", { class: `badge ${hit.urgency}` }, URGENCY[hit.urgency] || hit.urgency)),
      el("div", { class: "meta muted" }, `${hit.topic} · 置信度 ${Math.round(hit.confidence * 100)}%`),
      el("div", { class: "solution" }, ...highlighted(hit.solution, words)),
      el("div", { class: "actions" },
        el("button", { class: "primary", onclick: (e) => { e.stopPropagation(); copy(i); } }, "复制答案"),
        el("button", { onclick: (e) => { e.stopPropagation(); report(hit, "resolved"); } }, "已解决"),
        el("button", { class: "danger", onclick: (e) => { e.stopPropagation(); report(hit, "takeover"); } }, "不适用，我来答")),
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
  try {
    await navigator.clipboard.writeText(hit.solution);
    toast("已复制答案");
  } catch {
    toast("复制失败：浏览器不允许访问剪贴板");
  }
}

async function report(hit, outcome) {
  try {
    await api("/feedback/agent", { method: "POST", body: { query: asked, entry_id: hit.id, outcome } });
    toast(outcome === "resolved" ? "已记录：答案解决了问题" : "已记录：需要人工回答");
  } catch (error) {
    toast(`记录失败：${error.message}`);
  }
}

box.addEventListener("input", debounce(search, 30)); // short: results within 100 ms of the last key
box.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown") { event.preventDefault(); choose(Math.min(selected + 1, results.length - 1)); }
  else if (event.key === "ArrowUp") { event.preventDefault(); choose(Math.max(selected - 1, 0)); }
  else if (event.key === "Enter") { event.preventDefault(); copy(selected); }
});

login("/search?q=%E9%80%80%E8%B4%A7", () => box.focus());
