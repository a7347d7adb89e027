// The sidebar's queue tab: the next handoff ticket of a queue (P1 first, then by due time),
// with everything the bot collected, so the customer never repeats themselves; one click
// takes it, then the agent closes it with the outcome (counted by the monitor).
import { api, el, said, toast } from "/web/api.js";

const FACTS = { order_id: "订单号", tracking_no: "快递单号", photos: "照片", product: "商品", problem: "问题",
  phone: "手机号", amount: "金额", address: "地址", date: "日期" };
const EMOTION = { calm: "平静", anxious: "着急", angry: "生气" };
const PRIORITY = { P1: "P1 绿色通道", P2: "P2", P3: "P3" };
let chosen = ""; // the queue shown: "" is every queue
let copied = ""; // the ticket whose suggested answer was copied: its entry is the one used

const time = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

function dueText(iso) {
  const minutes = Math.round((new Date(iso) - Date.now()) / 60000);
  return minutes >= 0 ? `${minutes} 分钟内接起` : `已超时 ${-minutes} 分钟`;
}

export async function showQueue(view) {
  view.replaceChildren(el("p", { class: "state" }, "加载中…"));
  let body;
  try {
    body = await api(`/handoffs?status=open&limit=20${chosen ? `&queue=${encodeURIComponent(chosen)}` : ""}`);
  } catch (error) {
    view.replaceChildren(el("p", { class: "error" }, `出错了：${said(error)}`));
    return;
  }
  const picker = el("select", { id: "queue-pick", "aria-label": "队列", onchange: (e) => { chosen = e.target.value; showQueue(view); } },
    el("option", { value: "" }, "全部队列"),
    ...body.queues.map((q) => el("option", { value: q.id, selected: q.id === chosen }, q.name)));
  const head = el("div", { class: "row" }, picker,
    el("span", { class: "muted", id: "queue-count" }, `待接 ${body.handoffs.length}${body.handoffs.length === 20 ? "+" : ""}`),
    el("button", { onclick: () => showQueue(view) }, "刷新"));
  const next = body.handoffs[0];
  view.replaceChildren(head, next ? ticket(next, view) : el("p", { class: "state", id: "queue-empty" }, "队列里没有待接的工单"));
}

function ticket(t, view) {
  const suggested = t.suggested_entry;
  const card = el("article", { class: "card ticket", dataset: { id: t.id } },
    el("div", { class: "row" },
      el("span", { class: `badge ${t.priority}` }, PRIORITY[t.priority] || t.priority),
      el("span", { class: "grow muted" }, t.queue_name),
      el("span", { class: `due${new Date(t.due) < Date.now() ? " late" : ""}` }, dueText(t.due))),
    el("div", { class: "summary" }, t.summary),
    el("dl", { class: "facts" }, ...Object.entries(t.facts).flatMap(([k, v]) => [
      el("dt", {}, FACTS[k] || k), el("dd", { dataset: { fact: k } }, k === "photos" ? `${v} 张` : v)]),
    el("dt", {}, "情绪"), el("dd", {}, EMOTION[t.emotion] || t.emotion)),
    el("details", { open: true }, el("summary", {}, `会话记录（${t.transcript.length}）`),
      el("ol", { class: "transcript" }, ...t.transcript.map((m) => el("li", {}, el("span", { class: "muted" }, `${time(m.at)} `), m.text)))),
    suggested ? el("div", {},
      el("div", { class: "row" }, el("span", { class: "grow muted" }, `建议答案：${suggested.title}`),
        el("button", { class: "copy", onclick: () => { copied = t.id; copy(suggested.solution); } }, "复制答案")),
      el("div", { class: "solution suggested" }, suggested.solution)) : el("p", { class: "muted" }, "没有匹配的知识条目，请人工答复"),
    t.soothing_script ? el("div", { class: "muted" }, `安抚话术：${t.soothing_script}`) : null);
  const actions = el("div", { class: "actions row" },
    el("button", { class: "primary", id: "take", onclick: () => take(t, actions, view) }, "接单"));
  card.append(actions);
  return card;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast("已复制答案");
  } catch {
    toast("复制失败：浏览器不允许访问剪贴板");
  }
}

async function take(t, actions, view) {
  actions.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  try {
    await api(`/handoffs/${encodeURIComponent(t.id)}/take`, { method: "POST" });
  } catch (error) {
    toast(`接单失败：${said(error)}`);
    showQueue(view); // someone else was first: show the next one
    return;
  }
  toast("已接单");
  const outcome = el("select", { id: "close-outcome", "aria-label": "处理结果" },
    el("option", { value: "resolved" }, "已解决"), el("option", { value: "unresolved" }, "未解决"));
  const reply = el("textarea", { id: "close-reply", rows: 2, placeholder: "我的答复（可选，帮助改进知识库）" });
  actions.replaceChildren(el("div", { class: "grow" }, el("p", { class: "muted", id: "taken" }, "已接单，处理完后结单"), reply,
    el("div", { class: "row" }, outcome,
      el("button", { class: "primary", id: "close", onclick: () => close(t, outcome.value, reply.value, view) }, "结单"))));
}

async function close(t, outcome, reply, view) {
  try {
    await api(`/handoffs/${encodeURIComponent(t.id)}/close`, { method: "POST", body: {
      outcome, agent_reply: reply.trim() || null,
      used_entry_id: copied === t.id && t.suggested_entry ? t.suggested_entry.id : null } });
    toast("已结单");
    showQueue(view);
  } catch (error) {
    toast(`结单失败：${said(error)}`);
  }
}
