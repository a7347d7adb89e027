// The one way the pages talk to the server: the JSON API, with the key from localStorage
// (once per browser: an agent opens many tabs). Every text from the server is put on the
// page with textContent, never as HTML. Error codes stay English for programs; people read
// the Chinese sentence `said(error)` makes of them.

const KEY = "kefu-kb.key";

// What a person reads for each error code; the server's English message is the fallback.
const SAID = {
  unauthorized: "API key 无效或已被吊销，请重新登录",
  forbidden: "这个 key 没有权限做这件事，请换一个有权限的 key",
  database_busy: "数据库正忙，请稍后再试",
  database_read_only: "数据库当前只读，暂时不能保存",
  version_conflict: "别人刚保存过这条知识",
  not_found: "找不到了，可能已被删除",
  entry_not_found: "这条知识不存在或已被删除",
  suggestion_decided: "这条建议已经有人处理过了",
  suggestion_not_found: "这条建议不存在",
  gap_not_found: "这个知识缺口已经关闭（已有条目能回答）或不存在",
  ticket_taken: "这张工单已被其他坐席接走",
  ticket_not_taken: "这张工单还没有人接，或已经结单",
  ticket_not_found: "找不到这张工单",
  internal_error: "服务器出错了，请稍后再试",
};

export function said(error) {
  if (error instanceof ApiError) {
    return SAID[error.code] || (error.status >= 500 ? SAID.internal_error : error.message);
  }
  return "连不上服务器，请检查网络或服务是否在运行"; // fetch's TypeError: Failed to fetch
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code;
    this.field = e.field;
    this.errors = e.errors || [];
    this.body = body;
  }
}

export function key() { return localStorage.getItem(KEY); }
export function forget() { localStorage.removeItem(KEY); }

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${key() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) forget();
    throw new ApiError(response.status, data);
  }
  return data;
}

// el("div", {class: "card", onclick: f}, "text", child, ...): children are text or nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Text with the given words wrapped in <mark>, built from text nodes (no HTML parsing).
export function highlighted(text, words) {
  const wanted = [...new Set(words.filter((w) => w && text.includes(w)))].sort((a, b) => b.length - a.length);
  if (!wanted.length) return [text];
  const out = [];
  let rest = text;
  while (rest) {
    let best = -1, word = "";
    for (const w of wanted) {
      const at = rest.indexOf(w);
      if (at !== -1 && (best === -1 || at < best)) { best = at; word = w; }
    }
    if (best === -1) { out.push(rest); break; }
    if (best) out.push(rest.slice(0, best));
    out.push(el("mark", {}, word));
    rest = rest.slice(best + word.length);
  }
  return out;
}

export function toast(message) {
  let node = document.querySelector(".toast");
  if (!node) { node = el("div", { class: "toast", role: "status" }); document.body.append(node); }
  node.textContent = message;
  node.classList.add("show");
  clearTimeout(node.timer);
  node.timer = setTimeout(() => node.classList.remove("show"), 1600);
}

// Ask for a key once per browser; check it against a route the page needs.
export function login(probe, onReady) {
  const ready = async () => {
    try { await api(probe); onReady(); return true; } catch (e) { return e; }
  };
  const show = (message) => {
    const input = el("input", { type: "password", name: "key", placeholder: "kb_...", autocomplete: "off", "aria-label": "API key" });
    const error = el("p", { class: "error", id: "login-error" }, message || "");
    const form = el("form", { class: "card" },
      el("h1", {}, "kefu-kb 登录"),
      el("p", { class: "muted" }, "请输入 API key（kb serve 首次启动时打印，或由管理员用 kb keys create 创建）。"),
      input, error,
      el("div", { class: "row", style: "margin-top:8px" }, el("span", { class: "grow" }),
        el("button", { class: "primary", type: "submit" }, "登录")));
    const overlay = el("div", { class: "login" }, form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      localStorage.setItem(KEY, input.value.trim());
      const result = await ready();
      if (result === true) overlay.remove();
      else error.textContent = said(result);
    });
    document.body.append(overlay);
    input.focus();
  };
  if (!key()) { show(); return; }
  ready().then((result) => { if (result !== true) show(said(result)); });
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
