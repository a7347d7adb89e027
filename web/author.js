// The authoring UI: flags to rewrite, the entry editor with a test box, history, graph, dashboard.
import { ApiError, api, debounce, el, login, said, toast } from "/web/api.js";
import { neighbourhood, rateChart } from "/web/draw.js";

const main = document.getElementById("main");
const pct = (r) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)}%`);
const COLORS = ["#1456f0", "#de7802", "#2ea121", "#7f3bf5", "#d83931", "#0fa3b1", "#646a73"];

const STATUS = { published: "已发布", retired: "已下线", draft: "草稿" };
const KINDS = { topic: "主题", process: "流程", entry: "条目", case: "案例" };
const FIELD_NAMES = { id: "ID", topic: "主题", title: "标题", questions: "客户问法", keywords: "识别词库",
  solution: "解决方案", urgency: "紧急程度", handoff: "转人工规则", handoff_reason: "转人工原因",
  soothing: "安抚话术", needs: "转人工前需了解", ask: "询问话术", processes: "流程", related: "相关条目", valid_from: "生效日期", valid_to: "失效日期", status: "状态" };
const fieldName = (f) => FIELD_NAMES[f] || f;
// The facts an entry may need before a handoff (kb.model.FACTS), as agents name them.
const NEEDS = { order_id: "订单号", tracking_no: "快递单号", photos: "照片", product: "商品", problem: "问题描述",
  phone: "手机号", amount: "金额", address: "地址", date: "日期" };
// The validator's reasons, as an editor reads them; an unknown one is shown as it came.
const REASONS = [
  [/^must not be empty$|^must be non-empty text$/, () => "不能为空"],
  [/^is (\d+) characters; the limit is (\d+)$/, (m) => `有 ${m[1]} 个字，最多 ${m[2]} 个`],
  [/^holds (\d+) items; the limit is (\d+)$/, (m) => `有 ${m[1]} 项，最多 ${m[2]} 项`],
  [/^points to (\w+) '(.+)', which does not exist$/, (m) => `${KINDS[m[1]] || m[1]}「${m[2]}」不存在`],
  [/^unknown topic '(.+)'$/, (m) => `主题「${m[1]}」不存在`],
  [/^'(.*)' is not an id: use lower-case a-z, 0-9 and '-'$/, (m) => `「${m[1]}」不能做 ID：只能用小写字母、数字和 -`],
  [/^duplicate id '(.+)'/, (m) => `ID「${m[1]}」已被占用`],
  [/^unknown value '(.+)'; choose from (.+)$/, (m) => `「${m[1]}」不是可选值（可选：${m[2]}）`],
  [/^missing: say why this always goes to a human$/, () => "总是转人工时，请写明转人工原因"],
  [/^an entry cannot be related to itself$/, () => "条目不能关联到自己"],
  [/^the lexicon is empty|^missing: the lexicon needs/, () => "词库为空：至少写一个关键词"],
  [/^a keyword must not be empty$/, () => "关键词不能为空"],
  [/^unknown fact '(.+)'; choose from/, (m) => `「${m[1]}」不是可选的信息项`],
  [/^'(.+)' is listed twice$/, (m) => `「${NEEDS[m[1]] || m[1]}」重复了`],
];
function reason(error) {
  const message = error.message || ""; // "entry.title: must not be empty"
  const at = error.field ? message.indexOf(`${error.field}: `) : -1;
  const text = at >= 0 ? message.slice(at + error.field.length + 2) : message;
  for (const [pattern, say] of REASONS) {
    const m = text.match(pattern);
    if (m) return say(m);
  }
  return error.message;
}

function state(text) { return el("p", { class: "state" }, text); }
function failed(error) { return el("p", { class: "error" }, `出错了：${said(error)}`); }

// --- routing -------------------------------------------------------------------
async function route() {
  const [tab, arg] = (location.hash.slice(1) || "flags").split("/");
  document.querySelectorAll("nav a[data-tab]").forEach((a) => a.classList.toggle("active", a.dataset.tab === tab));
  main.replaceChildren(state("加载中…"));
  try {
    if (tab === "flags") await (arg === "rewritten" ? rewrittenView() : flagsView());
    else if (tab === "entries") await entriesView(arg ? decodeURIComponent(arg) : null);
    else if (tab === "gap") await gapDraftView(decodeURIComponent(arg));
    else if (tab === "dashboard") await dashboardView();
    else if (tab === "conflicts") await conflictsView();
    else if (tab === "learnt") await suggestionsView();
  } catch (error) {
    main.replaceChildren(failed(error));
  }
}

// --- the flag queue ------------------------------------------------------------
function queueTabs(current) {
  return el("nav", { class: "queue-tabs row" },
    el("a", { href: "#flags", class: current === "open" ? "active" : "" }, "待改写"),
    el("a", { href: "#flags/rewritten", class: current === "rewritten" ? "active" : "" }, "已改写"));
}

async function flagsView() {
  const [data, tree] = await Promise.all([api("/flags"), api("/topics")]);
  const names = Object.fromEntries(tree.topics.map((t) => [t.id, t.name]));
  const head = el("div", {}, queueTabs("open"), el("p", { class: "muted" },
    `接管率超过 ${pct(data.threshold)}（近 ${data.window_days} 天、至少 ${data.min_sample} 次推荐）的条目需要改写。`));
  if (!data.flags.length) { main.replaceChildren(head, state("没有待改写的条目。")); return; }
  const cards = data.flags.map((flag) => {
    const chart = el("div", {}, state("加载趋势…"));
    api(`/entries/${encodeURIComponent(flag.entry_id)}/stats`).then((s) => chart.replaceChildren(trend(s))).catch((e) => chart.replaceChildren(failed(e)));
    return el("article", { class: "card flag stack", dataset: { entry: flag.entry_id } },
      el("div", { class: "row" },
        el("h2", { class: "grow" }, flag.title),
        el("span", { class: "badge flag" }, `v${flag.version} 接管率 ${pct(flag.window.rate)}`),
        el("a", { href: `#entries/${encodeURIComponent(flag.entry_id)}` }, el("button", { class: "primary" }, "改写"))),
      el("div", { class: "numbers muted" },
        el("span", {}, "推荐 ", el("b", {}, flag.window.served)),
        el("span", {}, "转人工 ", el("b", {}, flag.window.takeovers)),
        flag.takeovers_from_sidebar ? el("span", {}, `其中坐席侧栏报告 ${flag.takeovers_from_sidebar} 次（累计）`) : null,
        el("span", {}, `95% 区间 ${pct(flag.window.ci95[0])}–${pct(flag.window.ci95[1])}`),
        el("span", {}, `${names[flag.topic] || flag.topic} · ${flag.entry_id}`)),
      chart,
      el("h3", {}, "失败的对话"),
      el("ol", { class: "evidence" }, ...flag.evidence.map((e) => el("li", {},
        el("div", {}, `客户：${e.query}`),
        e.agent_reply ? el("div", { class: "reply" }, `人工：${e.agent_reply}`) : null,
        e.used_entry_id && e.used_entry_id !== flag.entry_id ? el("div", { class: "reply" }, `人工改用条目：${e.used_entry_id}`) : null))),
      learnt(flag));
  });
  main.replaceChildren(head, ...cards);
}

// Each rewritten flag: the rate before and after the rewrite, and the trend across them.
async function rewrittenView() {
  const data = await api("/flags?status=rewritten");
  const head = el("div", {}, queueTabs("rewritten"),
    el("p", { class: "muted" }, "改写后的条目：改写前后的接管率，看改写有没有用。"));
  if (!data.flags.length) { main.replaceChildren(head, state("还没有改写过的条目。")); return; }
  const cards = data.flags.map((flag) => {
    const chart = el("div", {}, state("加载趋势…"));
    api(`/entries/${encodeURIComponent(flag.entry_id)}/stats`).then((s) => chart.replaceChildren(trend(s))).catch((e) => chart.replaceChildren(failed(e)));
    const before = flag.before || {}, after = flag.after || {};
    const better = after.rate !== null && after.rate !== undefined && before.rate !== null && after.rate < before.rate;
    return el("article", { class: "card flag rewritten stack", dataset: { entry: flag.entry_id } },
      el("div", { class: "row" },
        el("h2", { class: "grow" }, flag.title),
        el("a", { href: `#entries/${encodeURIComponent(flag.entry_id)}` }, el("button", {}, "打开条目"))),
      el("div", { class: "numbers" },
        el("span", { class: "before" }, `改写前 v${flag.version}：接管率 `, el("b", {}, pct(before.rate)), `（${before.takeovers ?? 0}/${before.served ?? 0}）`),
        el("span", { class: "after" }, `改写后 v${after.version ?? "?"}：接管率 `, el("b", {}, pct(after.rate)), `（${after.takeovers ?? 0}/${after.served ?? 0}）`),
        el("span", { class: better ? "ok" : "muted" }, after.served ? (better ? "改写有效" : "还没有改善") : "改写后还没有流量")),
      chart);
  });
  main.replaceChildren(head, ...cards);
}

// The open flag of an entry, beside its editor: the rate, the interval, what failed.
function flagContext(flag) {
  return el("aside", { class: "card stack flag-context", id: "flag-context" },
    el("h3", { class: "error" }, `待改写：接管率 ${pct(flag.window.rate)}`),
    el("div", { class: "muted" }, `近期推荐 ${flag.window.served} 次，转人工 ${flag.window.takeovers} 次；95% 区间 ${pct(flag.window.ci95[0])}–${pct(flag.window.ci95[1])}`),
    el("h3", {}, "失败的对话"),
    el("ol", { class: "evidence" }, ...flag.evidence.map((e) => el("li", {},
      el("div", {}, `客户：${e.query}`),
      e.agent_reply ? el("div", { class: "reply" }, `人工：${e.agent_reply}`) : null))),
    learnt(flag));
}

// What a flag's failed conversations were really asking, as learnt phrasings: a rewrite
// starts from them (each links to the entry it belongs to, where it is accepted).
const SUGGESTION_STATUS = { pending: "待处理", accepted: "已采纳", rejected: "已忽略" };
function learnt(flag) {
  if (!flag.suggestions || !flag.suggestions.length) return null;
  return el("div", { class: "learnt" }, el("h3", {}, "从失败对话学到的问法"),
    el("ul", {}, ...flag.suggestions.map((s) => el("li", {},
      `“${s.text}” → `,
      el("a", { href: `#entries/${encodeURIComponent(s.entry_id)}` }, s.entry_id === flag.entry_id ? "本条目" : s.entry_id),
      el("span", { class: "muted" }, ` · ${SUGGESTION_STATUS[s.status] || s.status} · 人工确认 ${s.strong} 次`)))));
}

// Rate per day, one line per version, a mark where each version was saved.
function trend(stats) {
  const versions = [...new Set(stats.days.map((d) => d.version))];
  const series = versions.map((v, i) => ({
    name: `v${v}`, color: COLORS[i % COLORS.length],
    points: stats.days.filter((d) => d.version === v).map((d) => ({ day: d.day, rate: d.rate })),
  }));
  // each version is marked on the first day it served customers (saving is not serving)
  const marks = versions.map((v) => ({ day: stats.days.filter((d) => d.version === v).map((d) => d.day).sort()[0], label: `v${v}` }))
    .filter((m) => m.day && m.day >= stats.window.since);
  return el("div", {}, rateChart(series, { marks, threshold: stats.threshold }),
    el("div", { class: "legend" }, ...series.map((s) => el("span", { style: `color:${s.color}` }, `● ${s.name}`)),
      ...stats.versions.map((v) => el("span", { class: "muted" }, `v${v.version}: ${v.takeovers}/${v.served} = ${pct(v.rate)}`))));
}

// --- entries: list and editor ----------------------------------------------------
const LISTED = 200; // entries the list shows at once (the API's page size limit)
async function entriesView(entryId, prefill = null) {
  const [list, topics, processes] = await Promise.all([api(`/entries?limit=${LISTED}`), api("/topics"), api("/processes")]);
  const filter = el("input", { type: "search", placeholder: "筛选条目（编号或标题）", "aria-label": "筛选条目" });
  const items = el("ul", {});
  const more = el("p", { class: "muted" });
  // The filter asks the server: a knowledge base of thousands lists only its first page here.
  const fill = (found) => {
    items.replaceChildren(...found.entries.map((e) =>
      el("li", { dataset: { id: e.id }, onclick: () => { location.hash = `entries/${encodeURIComponent(e.id)}`; } }, `${e.title} `, el("span", { class: "muted" }, e.id))));
    items.parentElement.scrollTop = 0;
    const hidden = found.total - found.entries.length;
    more.textContent = found.total === 0 ? "没有匹配的条目。" : hidden > 0 ? `另有 ${hidden} 条未列出，输入编号或标题筛选。` : "";
  };
  let asked = "";
  filter.addEventListener("input", debounce(async () => {
    const f = (asked = filter.value.trim());
    try {
      const found = await api(`/entries?limit=${LISTED}${f ? `&q=${encodeURIComponent(f)}` : ""}`);
      if (f === asked) fill(found);
    } catch (error) {
      toast(`筛选失败：${said(error)}`);
    }
  }, 150));
  const side = el("aside", { class: "card stack" },
    el("div", { class: "row" }, el("h2", { class: "grow" }, `条目（${list.total}）`),
      el("button", { onclick: () => { location.hash = "entries/new"; } }, "新建条目")),
    filter, el("div", { class: "entry-list" }, items, more));
  fill(list);
  const editorSlot = el("div", { class: "stack" });
  main.replaceChildren(el("div", { class: "grid", style: "grid-template-columns: 300px minmax(0,1fr)" }, side, editorSlot));
  if (!entryId) { editorSlot.append(state("选择左侧的条目，或新建一个。")); return; }
  await editor(editorSlot, entryId === "new" ? null : entryId, topics.topics, processes.processes, prefill);
}

// A gap's "create entry": the new-entry form prefilled with its messages and keywords.
async function gapDraftView(gapId) {
  const { gap, draft } = await api(`/gaps/${encodeURIComponent(gapId)}/draft`);
  await entriesView("new", { ...draft, gap });
}

function keywordsText(keywords) {
  return Object.entries(keywords || {}).map(([k, syns]) => (syns.length ? `${k}: ${syns.join(", ")}` : k)).join("\n");
}
function parseKeywords(text) {
  const out = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const [word, rest = ""] = line.split(/[:：]/, 2);
    out[word.trim()] = rest.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
  }
  return out;
}
const lines = (text) => text.split("\n").map((l) => l.trim()).filter(Boolean);
const words = (text) => text.split(/[,，\s]+/).map((l) => l.trim()).filter(Boolean);

async function editor(slot, entryId, topics, processes, prefill = null) {
  let data = entryId ? await api(`/entries/${encodeURIComponent(entryId)}`) : null;
  let entry = data ? data.entry : { id: "", topic: topics[0]?.id, title: "", questions: [], keywords: {}, solution: "",
    urgency: "medium", handoff: "auto", handoff_reason: "", soothing: "", needs: [], ask: "", processes: [], related: [], valid_from: null, valid_to: null, status: "published",
    ...(prefill || {}) };
  const input = {};
  const errors = {};
  const field = (name, label, control) => {
    input[name] = control;
    errors[name] = el("div", { class: "field-error", dataset: { field: name } });
    return el("div", {}, el("label", { for: `f-${name}` }, label), control, errors[name]);
  };
  const select = (name, options, value) => el("select", { id: `f-${name}`, name },
    ...options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
  const form = el("form", { class: "card stack", novalidate: true },
    el("div", { class: "row" }, el("h2", { class: "grow" }, entryId ? `编辑：${entry.title}` : prefill ? "从知识缺口新建条目" : "新建条目"),
      entryId ? el("span", { class: "muted", id: "version" }, `v${entry.version} · ${STATUS[entry.status] || entry.status}`) : null),
    el("div", { class: "form-row" },
      field("id", "ID（小写字母、数字、-）", el("input", { id: "f-id", name: "id", value: entry.id, readonly: !!entryId })),
      field("topic", "主题", select("topic", topics.map((t) => [t.id, `${t.name}（${t.id}）`]), entry.topic))),
    field("title", "标题", el("input", { id: "f-title", name: "title", value: entry.title })),
    field("questions", "客户问法（每行一个）", el("textarea", { id: "f-questions", name: "questions", rows: 5 }, entry.questions.join("\n"))),
    field("keywords", "问题识别词库（每行：关键词: 同义词, 同义词）", el("textarea", { id: "f-keywords", name: "keywords", rows: 4 }, keywordsText(entry.keywords))),
    field("solution", "解决方案模板", el("textarea", { id: "f-solution", name: "solution", rows: 6 }, entry.solution)),
    el("div", { class: "form-row" },
      field("urgency", "紧急程度", select("urgency", [["high", "紧急"], ["medium", "一般"], ["low", "不急"]], entry.urgency)),
      field("handoff", "转人工规则", select("handoff", [["auto", "自动"], ["always", "总是转人工"], ["if_upset", "客户情绪不佳时转人工"]], entry.handoff))),
    field("handoff_reason", "转人工原因", el("input", { id: "f-handoff_reason", name: "handoff_reason", value: entry.handoff_reason })),
    field("soothing", "安抚话术", el("textarea", { id: "f-soothing", name: "soothing", rows: 2 }, entry.soothing)),
    field("needs", "转人工前需了解（缺少时先问客户，每次会话最多问两次）", el("div", { id: "f-needs", class: "needs", role: "group" },
      ...Object.entries(NEEDS).map(([fact, label]) => el("label", { class: "need" },
        el("input", { type: "checkbox", name: "needs", value: fact, checked: (entry.needs || []).includes(fact) }), label)))),
    field("ask", "询问话术（可选；不填则按缺少的信息自动生成）", el("input", { id: "f-ask", name: "ask", value: entry.ask || "" })),
    el("div", { class: "form-row" },
      field("processes", "流程（空格分隔）", el("input", { id: "f-processes", name: "processes", value: entry.processes.join(" "), list: "process-ids" })),
      field("related", "相关条目（空格分隔）", el("input", { id: "f-related", name: "related", value: entry.related.join(" ") }))),
    el("div", { class: "form-row" },
      field("valid_from", "生效日期", el("input", { id: "f-valid_from", name: "valid_from", type: "date", value: entry.valid_from || "" })),
      field("valid_to", "失效日期", el("input", { id: "f-valid_to", name: "valid_to", type: "date", value: entry.valid_to || "" }))),
    field("note", "修改说明（可选）", el("input", { id: "f-note", name: "note" })),
    el("p", { class: "error", id: "form-error", role: "alert" }),
    el("div", { class: "row" },
      el("button", { class: "primary", type: "submit", id: "save" }, "保存为新版本"),
      entryId ? el("button", { type: "button", id: "retire", onclick: () => status(entry.status === "retired" ? "restore" : "retire") },
        entry.status === "retired" ? "恢复上线" : "下线") : null));
  form.append(el("datalist", { id: "process-ids" }, ...processes.map((p) => el("option", { value: p.id }, p.name))));
  const conflictSlot = el("div", {});

  const draft = () => ({
    id: input.id.value.trim(), topic: input.topic.value, title: input.title.value,
    questions: lines(input.questions.value), keywords: parseKeywords(input.keywords.value),
    solution: input.solution.value, urgency: input.urgency.value, handoff: input.handoff.value,
    handoff_reason: input.handoff_reason.value, soothing: input.soothing.value,
    needs: [...input.needs.querySelectorAll("input:checked")].map((c) => c.value), ask: input.ask.value,
    processes: words(input.processes.value), related: words(input.related.value),
    valid_from: input.valid_from.value || null, valid_to: input.valid_to.value || null,
    status: entry.status === "retired" ? "retired" : "published", // a gap's draft is published on save
  });
  const showErrors = (error) => {
    Object.values(errors).forEach((e) => { e.textContent = ""; });
    form.querySelector("#form-error").textContent = !error ? ""
      : error.errors && error.errors.length ? "有字段需要修改，见下方红字" : said(error);
    for (const e of (error && error.errors) || []) {
      const name = (e.field || "").replace(/^entry\./, "").split(/[.[]/)[0];
      if (errors[name]) errors[name].textContent = errors[name].textContent ? `${errors[name].textContent}；${reason(e)}` : reason(e);
    }
    // the first field in error may be off-screen (the title, above a long form): go there
    const first = [...form.querySelectorAll(".field-error")].find((e) => e.textContent);
    const target = first || (error ? form.querySelector("#form-error") : null);
    if (target) {
      target.scrollIntoView({ block: "center" });
      const control = first && first.parentElement.querySelector("input, textarea, select");
      if (control) control.focus({ preventScroll: true });
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showErrors(null);
    conflictSlot.replaceChildren();
    try {
      const body = { ...draft(), note: input.note.value };
      const saved = entryId
        ? await api(`/entries/${encodeURIComponent(entryId)}`, { method: "PUT", body: { ...body, base_version: entry.version } })
        : await api("/entries", { method: "POST", body });
      toast(saved.saved ? `已保存为 v${saved.entry.version}` : "没有改动");
      if (!entryId) { location.hash = `entries/${encodeURIComponent(saved.entry.id)}`; return; }
      await reload();
    } catch (error) {
      if (error.status === 409 && error.code === "version_conflict") conflictSlot.replaceChildren(conflict(error.body));
      else showErrors(error);
    }
  });

  async function status(action) {
    try {
      await api(`/entries/${encodeURIComponent(entryId)}/${action}`, { method: "POST", body: { base_version: entry.version } });
      toast(action === "retire" ? "已下线" : "已恢复上线");
      await reload();
    } catch (error) {
      if (error.status === 409) conflictSlot.replaceChildren(conflict(error.body)); else showErrors(error);
    }
  }

  async function reload() {
    slot.replaceChildren(state("加载中…"));
    await editor(slot, entryId, topics, processes);
  }

  const flag = entryId ? (await api("/flags")).flags.find((f) => f.entry_id === entryId) : null;
  const editing = flag ? el("div", { class: "with-flag" }, form, flagContext(flag)) : form;
  const panels = [editing, conflictSlot];
  if (prefill && prefill.gap) {
    panels.unshift(el("p", { class: "card gap-note", id: "gap-note" },
      `这个缺口有 ${prefill.gap.count} 条客户消息没有答案。问法和关键词已按这些消息预填（客户信息已遮盖）；请写好解决方案再保存发布。`));
  }
  if (entryId) panels.push(suggestionsPanel(entry, reload), keywordsPanel(entry, reload));
  panels.push(testBox(draft));
  if (entryId) panels.push(history(data, reload), graphPanel(entryId), casesPanel(entryId));
  slot.replaceChildren(...panels);
}

// Phrasings traffic taught this entry: accept one (it is added as a new version, the editor
// as its author; the text may be tidied first) or ignore it (it is never suggested again).
function suggestionsPanel(entry, reload) {
  const list = el("ul", { id: "suggestions" }, state("加载中…"));
  const decide = async (s, action, text) => {
    try {
      const body = action === "accept" ? { text, base_version: entry.version } : undefined;
      await api(`/entries/${encodeURIComponent(entry.id)}/suggestions/${s.id}/${action}`, { method: "POST", body });
      toast(action === "accept" ? "已采纳：问法已加入条目（新版本）" : "已忽略，不会再建议");
      if (action === "accept") await reload(); else load();
    } catch (error) {
      decisionFailed(error);
    }
  };
  const row = (s) => {
    const text = el("input", { class: "suggestion-text", value: s.text, "aria-label": "建议问法" });
    return el("li", { dataset: { suggestion: s.id } }, text,
      el("div", { class: "muted" }, `人工确认 ${s.strong} 次`, s.missed ? `（其中 ${s.missed} 次机器人没推荐它）` : "",
        ` · 机器人答对 ${s.weak} 次 · `,
        s.rank ? `本条目目前排第 ${s.rank} 位` : "本条目目前不在前 10 位"),
      el("div", { class: "row" },
        el("button", { type: "button", class: "primary accept", onclick: () => decide(s, "accept", text.value) }, "采纳"),
        el("button", { type: "button", class: "reject", onclick: () => decide(s, "reject") }, "忽略")));
  };
  const load = () => api(`/entries/${encodeURIComponent(entry.id)}/suggestions`)
    .then((r) => list.replaceChildren(...(r.suggestions.length ? r.suggestions.map(row) : [state("还没有建议的问法")])))
    .catch((e) => list.replaceChildren(failed(e)));
  load();
  return el("section", { class: "card stack", id: "suggestions-panel" }, el("h3", {}, "建议问法（从对话中学到）"),
    el("p", { class: "muted" }, "客户这样问、最后由这条知识解决的消息（订单号、电话、姓名、地址已遮盖）。"), list);
}

// A suggestion accepted or ignored in vain: most often another editor saved the entry first.
function decisionFailed(error) {
  if (error.status === 409 && error.code === "version_conflict") toast("别人刚保存过这条知识，请先载入最新版本再采纳");
  else toast(`操作失败：${said(error)}`);
}

// Words customers keep using for this entry that its lexicon lacks: add one to the lexicon
// (a new version), as a keyword of its own or as the synonym of a keyword it says another
// way (the one the engine proposes is chosen first), or ignore it for good.
function keywordsPanel(entry, reload) {
  const list = el("ul", { id: "keyword-suggestions" }, state("加载中…"));
  const url = `/entries/${encodeURIComponent(entry.id)}/keyword-suggestions`;
  const decide = async (k, action, synonymOf) => {
    try {
      const body = action === "accept"
        ? { word: k.word, base_version: entry.version, synonym_of: synonymOf || null } : { word: k.word };
      await api(`${url}/${action}`, { method: "POST", body });
      toast(action === "reject" ? `已忽略「${k.word}」，不会再建议`
        : synonymOf ? `已把「${k.word}」加为「${synonymOf}」的同义词（新版本）` : `已把「${k.word}」加入词库（新版本）`);
      if (action === "accept") await reload(); else load();
    } catch (error) {
      decisionFailed(error);
    }
  };
  const row = (k) => {
    const as = el("select", { class: "keyword-as", "aria-label": `「${k.word}」加入词库的方式` },
      el("option", { value: "" }, "作为新关键词"),
      ...Object.keys(entry.keywords).map((kw) =>
        el("option", { value: kw, selected: kw === k.synonym_of }, `作为「${kw}」的同义词`)));
    return el("li", { dataset: { word: k.word } },
      el("strong", { class: "keyword-word" }, k.word),
      k.synonym_of ? el("span", { class: "muted" }, `（意思接近「${k.synonym_of}」）`) : null,
      el("div", { class: "muted" }, `出现在本条目 ${k.messages} 条学到的问法里`,
        k.elsewhere ? `（其他条目 ${k.elsewhere} 条）` : "（其他条目没有）", `，如：${k.examples.join(" / ")}`),
      el("div", { class: "row" }, as,
        el("button", { type: "button", class: "primary accept", onclick: () => decide(k, "accept", as.value) }, "加入词库"),
        el("button", { type: "button", class: "reject", onclick: () => decide(k, "reject") }, "忽略")));
  };
  const load = () => api(url)
    .then((r) => list.replaceChildren(...(r.keywords.length ? r.keywords.map(row) : [state("还没有建议的关键词")])))
    .catch((e) => list.replaceChildren(failed(e)));
  load();
  return el("section", { class: "card stack", id: "keywords-panel" }, el("h3", {}, "建议关键词（从学到的问法中找出）"),
    el("p", { class: "muted" }, "客户反复用、词库里还没有的词：可作为新关键词，或作为意思相同的已有关键词的同义词。加入前请确认它说的是这个场景：有的只是碰巧常见。"), list);
}

function conflict(body) {
  return el("section", { class: "card conflict stack", id: "conflict" },
    el("h3", { class: "error" }, "保存冲突：别人在你编辑期间保存了新版本"),
    el("p", {}, `${said(new ApiError(409, body))}。下面是对方的改动；请刷新后合并你的修改再保存，你的修改不会被静默覆盖。`),
    diffTable(body.theirs),
    el("button", { onclick: () => route() }, "载入最新版本"));
}

function diffTable(changes) {
  if (!changes.length) return state("没有差异");
  const rows = [];
  for (const c of changes) {
    rows.push(el("tr", {}, el("th", { class: "field", colspan: 2 }, fieldName(c.field))));
    if (c.field === "keywords" && c.old && c.new && typeof c.old === "object") {
      rows.push(...keywordRows(c.old, c.new));
    } else if (c.lines) {
      for (const line of c.lines) {
        rows.push(el("tr", { class: line.op },
          el("td", { class: "old" }, line.old ?? ""), el("td", { class: "new" }, line.new ?? "")));
      }
    } else {
      rows.push(el("tr", { class: "replace" },
        el("td", { class: "old" }, JSON.stringify(c.old, null, 1)), el("td", { class: "new" }, JSON.stringify(c.new, null, 1))));
    }
  }
  return el("table", { class: "diff" }, el("thead", {}, el("tr", {}, el("th", {}, "旧"), el("th", {}, "新"))), el("tbody", {}, ...rows));
}

// One row per keyword added, removed or given other synonyms: not two whole JSON objects.
function keywordRows(old, now) {
  const shown = (word, syns) => (syns.length ? `${word}：${syns.join("、")}` : word);
  const rows = [];
  for (const word of new Set([...Object.keys(old), ...Object.keys(now)])) {
    const a = old[word], b = now[word];
    if (a && b && a.join("\u0000") === b.join("\u0000")) continue;
    const op = !a ? "insert" : !b ? "delete" : "replace";
    rows.push(el("tr", { class: `${op} keyword` },
      el("td", { class: "old" }, a ? shown(word, a) : ""),
      el("td", { class: "new" }, b ? shown(word, b) : "")));
  }
  return rows;
}

function testBox(draft) {
  const q = el("input", { id: "test-query", placeholder: "输入一条客户消息，看草稿会排第几", "aria-label": "测试消息" });
  const out = el("div", { id: "test-result" }, el("p", { class: "muted" }, "保存前试一试：草稿与线上条目一起排序。"));
  const run = async () => {
    if (!q.value.trim()) return;
    out.replaceChildren(state("排序中…"));
    try {
      const r = await api("/entries/preview", { method: "POST", body: { entry: draft(), query: q.value } });
      out.replaceChildren(
        el("p", {}, r.rank ? `草稿排第 ${r.rank} 位${r.confident ? "，且有把握" : ""}` : "草稿不在前 10 位"),
        el("ol", { class: "ranks" }, ...r.results.map((h) => el("li", { class: h.draft ? "draft" : "" },
          `${h.title}（${h.id}）置信度 ${Math.round(h.confidence * 100)}%${h.draft ? " ← 草稿" : ""}`))));
    } catch (error) {
      out.replaceChildren(failed(error));
    }
  };
  q.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); run(); } });
  return el("section", { class: "card stack" }, el("h3", {}, "测试框"),
    el("div", { class: "row" }, q, el("button", { type: "button", id: "test-run", onclick: run }, "测试")), out);
}

function history(data, reload) {
  const versions = data.versions;
  const from = el("select", { id: "diff-from", "aria-label": "旧版本" }, ...versions.map((v) => el("option", { value: v.version, selected: v.version === Math.max(1, data.entry.version - 1) }, `v${v.version}`)));
  const to = el("select", { id: "diff-to", "aria-label": "新版本" }, ...versions.map((v) => el("option", { value: v.version, selected: v.version === data.entry.version }, `v${v.version}`)));
  const out = el("div", { id: "diff" });
  const show = async () => {
    out.replaceChildren(state("比较中…"));
    try {
      const d = await api(`/entries/${encodeURIComponent(data.entry.id)}/diff?from=${from.value}&to=${to.value}`);
      out.replaceChildren(diffTable(d.changes));
    } catch (error) { out.replaceChildren(failed(error)); }
  };
  from.addEventListener("change", show);
  to.addEventListener("change", show);
  const rollback = async (version) => {
    try {
      await api(`/entries/${encodeURIComponent(data.entry.id)}/rollback`, { method: "POST", body: { version, base_version: data.entry.version } });
      toast(`已回滚到 v${version}（作为新版本保存）`);
      await reload();
    } catch (error) { toast(`回滚失败：${said(error)}`); }
  };
  const table = el("table", { id: "versions" },
    el("thead", {}, el("tr", {}, ...["版本", "状态", "作者", "时间", "改动", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...versions.slice().reverse().map((v) => el("tr", { dataset: { version: v.version } },
      el("td", {}, `v${v.version}`), el("td", {}, STATUS[v.status] || v.status), el("td", {}, v.author), el("td", {}, v.created_at.replace("T", " ").slice(0, 16)),
      el("td", {}, v.note ? `${v.changed.map(fieldName).join("、")}（${v.note}）` : v.changed.map(fieldName).join("、")),
      el("td", {}, v.version === data.entry.version ? "当前" : el("button", { class: "rollback", onclick: () => rollback(v.version) }, "回滚到此版本"))))));
  if (versions.length > 1) setTimeout(show);
  return el("section", { class: "card stack" }, el("h3", {}, "版本历史"), table,
    el("div", { class: "row" }, "比较", from, "→", to), out);
}

function graphPanel(entryId) {
  const slot = el("div", {}, state("绘制中…"));
  api(`/entries/${encodeURIComponent(entryId)}/graph`).then((g) => slot.replaceChildren(neighbourhood(g, { open: (id) => { location.hash = `entries/${encodeURIComponent(id)}`; } }),
    el("div", { class: "legend" }, ...[["#1456f0", "条目"], ["#de7802", "关键词"], ["#2ea121", "案例"], ["#7f3bf5", "流程"], ["#646a73", "主题"]]
      .map(([c, t]) => el("span", { style: `color:${c}` }, `● ${t}`)))))
    .catch((e) => slot.replaceChildren(failed(e)));
  return el("section", { class: "card stack" }, el("h3", {}, "知识图谱"),
    el("p", { class: "muted" }, "滚轮缩放，拖动平移，点击条目打开。"), slot);
}

function casesPanel(entryId) {
  const list = el("ul", { id: "cases" }, state("加载中…"));
  const customer = el("input", { id: "case-customer", placeholder: "客户说了什么", "aria-label": "案例：客户" });
  const action = el("input", { id: "case-action", placeholder: "做了什么", "aria-label": "案例：处理" });
  const outcome = el("select", { id: "case-outcome", "aria-label": "案例：结果" },
    ...[["resolved", "已解决"], ["unresolved", "未解决"], ["escalated", "已升级"]].map(([v, t]) => el("option", { value: v }, t)));
  const button = el("button", { type: "button", id: "case-save" }, "添加");
  let editing = null; // the case being changed, or null for a new one
  const edit = (c) => {
    editing = c;
    customer.value = c.customer; action.value = c.action; outcome.value = c.outcome;
    button.textContent = "保存案例";
    customer.focus();
  };
  const load = () => api(`/entries/${encodeURIComponent(entryId)}/cases?top=20`).then((r) => list.replaceChildren(
    ...(r.cases.length ? r.cases.map((c) => el("li", { dataset: { case: c.id } },
      el("div", {}, `客户：${c.customer}`),
      el("div", { class: "muted" }, `处理：${c.action}（${c.outcome}）`, " ",
        el("button", { type: "button", class: "case-edit", onclick: () => edit(c) }, "修改")))) : [state("还没有案例")])))
    .catch((e) => list.replaceChildren(failed(e)));
  load();
  button.addEventListener("click", async () => {
    try {
      const id = editing ? editing.id : `case-${entryId}-${Date.now().toString(36)}`;
      const entries = editing ? editing.entries : [entryId];
      await api(`/cases/${encodeURIComponent(id)}`, { method: "PUT",
        body: { entries, customer: customer.value, action: action.value, outcome: outcome.value } });
      toast(editing ? "已保存案例" : "已添加案例");
      editing = null; customer.value = ""; action.value = ""; button.textContent = "添加";
      load();
    } catch (error) { toast(`保存失败：${said(error)}`); }
  });
  return el("section", { class: "card stack" }, el("h3", {}, "相似案例"), list,
    el("div", { class: "row" }, customer, action, outcome, button));
}

// --- dashboard -------------------------------------------------------------------
async function dashboardView() {
  const [d, gaps, tree] = await Promise.all([api("/dashboard"), api("/gaps?limit=20"), api("/topics")]);
  const names = Object.fromEntries(tree.topics.map((t) => [t.id, t.name]));
  const overall = rateChart([{ name: "全部", color: COLORS[0], points: d.days.map((x) => ({ day: x.day, rate: x.rate })) }], { threshold: d.threshold });
  // the six busiest topics: more lines than that is a tangle, not a chart
  const load = {};
  for (const t of d.topics) load[t.topic] = (load[t.topic] || 0) + t.served;
  const topics = Object.keys(load).sort((a, b) => load[b] - load[a]).slice(0, 6);
  const byTopic = rateChart(topics.map((t, i) => ({ name: t, color: COLORS[i % COLORS.length],
    points: d.topics.filter((x) => x.topic === t).map((x) => ({ day: x.day, rate: x.rate })) })), { threshold: d.threshold });
  const total = d.days.reduce((a, x) => a + x.recommendations, 0);
  const lastWeek = d.days.length ? d.days[Math.max(0, d.days.length - 7)].day : "";
  main.replaceChildren(
    el("div", { class: "numbers card" },
      el("span", {}, `近 ${d.window.days} 天推荐 `, el("b", {}, total)),
      el("span", {}, "转人工 ", el("b", {}, d.days.reduce((a, x) => a + x.takeover, 0))),
      el("span", {}, "待改写 ", el("b", {}, d.open_flags))),
    el("div", { class: "grid", style: "margin-top:12px" },
      el("section", { class: "card stack" }, el("h3", {}, "整体转人工率（每天，含机器人主动转人工）"), total ? overall : state("还没有推荐数据：运行 kb simulate 生成演示流量")),
      el("section", { class: "card stack" }, el("h3", {}, "接管率最高频的六个主题"), byTopic,
        el("div", { class: "legend" }, ...topics.map((t, i) => el("span", { style: `color:${COLORS[i % COLORS.length]}` }, `● ${names[t] || t}`)))),
      el("section", { class: "card stack" }, el("h3", {}, "最常问的场景"),
        d.top_entries.length ? el("table", { id: "top-entries" },
          el("thead", {}, el("tr", {}, el("th", {}, "场景"), el("th", {}, "推荐次数"), el("th", {}, "转人工率"))),
          el("tbody", {}, ...d.top_entries.map((t) => el("tr", {},
          el("td", {}, el("a", { href: `#entries/${encodeURIComponent(t.entry_id)}` }, t.title)),
          el("td", {}, t.served), el("td", {}, pct(t.served ? t.takeovers / t.served : null)))))) : state("暂无数据")),
      el("section", { class: "card stack wide", id: "queues" }, el("h3", {}, "转人工队列（近 7 天，每队列每天）"),
        d.queues.length ? el("table", {},
          el("thead", {}, el("tr", {}, ...["日期", "队列", "工单", "SLA 内接起", "接起用时中位数", "主要原因"].map((h) => el("th", {}, h)))),
          el("tbody", {}, ...d.queues.filter((q) => q.day >= lastWeek).reverse().map((q) => el("tr", {},
            el("td", {}, q.day.slice(5)), el("td", {}, q.queue_name), el("td", {}, q.tickets),
            el("td", {}, pct(q.within_sla)),
            el("td", {}, q.median_minutes_to_take === null ? "—" : `${q.median_minutes_to_take} 分钟`),
            el("td", { class: "muted" }, q.top_reasons.map((r) => `${r.text.split("，")[0]}（${r.count}）`).join("；"))))))
          : state("还没有转人工工单")),
      el("section", { class: "card stack", id: "gaps" }, el("h3", {}, "知识缺口（没有答案的问题）"),
        gaps.gaps.length ? el("ol", {}, ...gaps.gaps.map((g) => el("li", { dataset: { gap: g.id } },
          el("div", { class: "row" }, el("span", { class: "grow" }, `${g.label}（${g.count} 次）`),
            el("a", { href: `#gap/${encodeURIComponent(g.id)}` }, el("button", { class: "create-entry" }, "创建条目"))),
          el("div", { class: "muted" }, g.examples.slice(0, 3).join(" / "))))) : state("没有缺口"))));
}

// --- lexicon conflicts ---------------------------------------------------------------
// A word two scenarios both claim: links to each, and one click keeps it in one of them.
// Where the learning loop waits for an editor: entries with suggested phrasings pending,
// the most evidence first; each opens the entry, where they are accepted or ignored.
async function suggestionsView() {
  const { entries, total } = await api("/suggestions?limit=200");
  const item = (e) => el("li", { dataset: { id: e.entry_id } },
    el("a", { href: `#entries/${encodeURIComponent(e.entry_id)}` }, `${e.title}（${e.entry_id}）`),
    el("div", { class: "muted" }, `${e.suggestions} 条建议问法 · 人工确认 ${e.strong} 次`,
      e.missed ? `（其中 ${e.missed} 次机器人没推荐它）` : "", ` · 机器人答对 ${e.weak} 次 · 最近 ${e.last_seen.slice(0, 10)}`));
  main.replaceChildren(el("section", { class: "card stack" },
    el("h2", {}, `待审建议（${total} 个条目）`),
    el("p", { class: "muted" }, "从对话中学到、还没审过的问法：人工确认越多越靠前。打开条目即可采纳或忽略，也能看到建议的关键词。"),
    entries.length ? el("ul", { id: "learnt-entries" }, ...entries.map(item)) : state("没有待审的建议"),
    total > entries.length ? el("p", { class: "muted", id: "learnt-more" }, `另有 ${total - entries.length} 个条目未列出：先处理上面这些。`) : null));
}

async function conflictsView() {
  const report = await api("/graph/check?code=lexicon_conflict");
  const { titles, findings } = report;
  const item = (f) => {
    const owners = f.nodes.filter((n) => n.startsWith("entry:")).map((n) => n.slice(6));
    return el("li", { class: "conflict-item", dataset: { word: f.subject } },
      el("div", {}, `「${f.subject}」同时识别 ${owners.length} 个场景：`),
      el("ul", {}, ...owners.map((id) => el("li", { class: "row" },
        el("a", { href: `#entries/${encodeURIComponent(id)}`, class: "grow" }, `${titles[id] || id}（${id}）`),
        el("button", { class: "keep", dataset: { entry: id }, onclick: () => keepIn(f.subject, id, owners) }, "只保留在这里")))));
  };
  main.replaceChildren(el("section", { class: "card stack" },
    el("h2", {}, `词库冲突（${findings.length}）`),
    el("p", { class: "muted" }, "同一个识别词被几个场景认领时，客户说这个词就分不清是哪个场景：把它只留在最贴切的条目里，或换成更具体的词。"),
    findings.length ? el("ul", { class: "conflicts" }, ...findings.map(item)) : state("没有冲突")));
}

// Remove `word` from every other owner's lexicon (a keyword's synonyms stay, under the next one).
async function keepIn(word, keeper, owners) {
  try {
    for (const id of owners.filter((o) => o !== keeper)) {
      const { entry } = await api(`/entries/${encodeURIComponent(id)}`);
      const keywords = {};
      for (const [key, syns] of Object.entries(entry.keywords)) {
        const rest = syns.filter((w) => w !== word);
        if (key !== word) keywords[key] = rest;
        else if (rest.length) keywords[rest[0]] = rest.slice(1);
      }
      const { version, ...content } = entry;
      await api(`/entries/${encodeURIComponent(id)}`, { method: "PUT",
        body: { ...content, keywords, base_version: version, note: `词库冲突：「${word}」只保留在 ${keeper}` } });
    }
    toast(`「${word}」已只保留在 ${keeper}`);
    await conflictsView();
  } catch (error) {
    toast(`没有改成：${said(error)}`);
  }
}

window.addEventListener("hashchange", route);
login("/flags", route);
