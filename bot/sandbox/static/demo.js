// 网格哨 demo page: pick a person and a place, type, and see what WeCom would show that person.
// Talks plain JSON to /demo/api/*; the server plays WeCom (encryption, callbacks) for it.
"use strict";

const ROLE_NAMES = {
  villager: "村民", grid_member: "网格员", village_secretary: "村书记", first_secretary: "第一书记",
  village_cadre: "村干部", township_committee: "乡镇党委委员", liaison: "部门联络员",
  county_admin: "县委组织部", admin: "管理员",
};
const VIA_NAMES = {
  app: "网格哨 · 应用消息", appchat: "群聊", webhook: "网格哨 · 群机器人推送",
  aibot: "网格哨 · 群里回复", kf: "网格哨 · 微信客服",
};
const WHERE_NAMES = { app: "与「网格哨」应用单聊", group: "群聊", kf: "微信客服（个人微信）" };
// The story of the README's "Demo" section: who, where, and what they type (empty: just look and click).
const STORY = [
  { userid: "jiangdahai", where: "app", text: "三屯那个桥塌了一半，车过不去" },
  { userid: "jiangfeng", where: "app", text: "" },
  { userid: "zhangwei", where: "app", text: "" },
  { userid: "liutao", where: "app", text: "办结 #1002 便桥已通，大车先绕行" },
  { userid: "jiangdahai", where: "app", text: "" },
  { userid: "jiangdahai", where: "app", text: "村西头排水沟堵了，一下雨水就往院里灌" },
  { userid: "zhangwei", where: "app", text: "吹哨 #1003 水务局 住建局 财正局" },
  { userid: "zhangwei", where: "app", text: "吹哨 #1003 发改局 财政局 现场联办" },
];

const $ = (id) => document.getElementById(id);
const state = { people: {}, chats: [], lastFeed: "" };

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch("api/" + path, options);
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function markdown(text) {  // the little markdown WeCom shows: **bold**, > quotes, colours
  return escapeHtml(text)
    .replace(/\*\*(.+?)\*\*/g, "<b>$1</b>")
    .replace(/&lt;font color=&quot;(\w+)&quot;&gt;(.*?)&lt;\/font&gt;/g, '<span class="font-$1">$2</span>')
    .replace(/^&gt; ?/gm, "");
}

function view() {
  const where = document.querySelector("input[name=where]:checked").value;
  const v = { userid: $("who").value, where };
  if (where === "group") v.chatid = $("chat").value;
  return v;
}

function query(v) {
  return new URLSearchParams(v).toString();
}

async function loadPeople() {
  const data = await api("people");
  const who = $("who");
  for (const group of data.roles) {
    const optgroup = document.createElement("optgroup");
    optgroup.label = ROLE_NAMES[group.role] || group.role;
    for (const p of group.people) {
      const key = p.userid + "|" + group.role;
      state.people[key] = { ...p, role: group.role };
      const option = new Option(`${p.name}（${group.role === "liaison" ? p.place : p.where || p.place}）`, p.userid);
      option.dataset.key = key;
      optgroup.appendChild(option);
    }
    who.appendChild(optgroup);
  }
  state.chats = data.chats;
  for (const c of data.chats) $("chat").appendChild(new Option(c.name, c.chatid));
}

function currentPerson() {
  const option = $("who").selectedOptions[0];
  return option ? state.people[option.dataset.key] : null;
}

function onPersonChanged() {
  const p = currentPerson();
  if (!p) return;
  const role = p.posts ? `${ROLE_NAMES[p.role]}（${p.posts}）` : ROLE_NAMES[p.role];
  $("who-line").textContent = `${role} · ${p.where || p.place} · 账号 ${p.userid}`;
  if (p.chat) $("chat").value = p.chat;
  const kf = document.querySelector("input[value=kf]");
  kf.disabled = !p.kf;
  $("kf-label").classList.toggle("off", !p.kf);
  if (!p.kf && kf.checked) document.querySelector("input[value=app]").checked = true;
  refresh(true);
}

function selectPerson(userid) {
  for (const option of $("who").options) {
    if (option.value === userid) { option.selected = true; break; }
  }
  onPersonChanged();
}

function title(v) {
  const p = currentPerson();
  const place = v.where === "group" ? $("chat").selectedOptions[0].text : WHERE_NAMES[v.where];
  return `${p ? p.name : ""} · ${place}`;
}

function render(items) {
  const feed = $("feed");
  const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 40;
  feed.innerHTML = "";
  if (!items.length) {
    feed.innerHTML = '<div class="empty">还没有消息。在下面输入，比如「三屯那个桥塌了一半，车过不去」。</div>';
    return;
  }
  for (const item of items) feed.appendChild(item.kind === "card" ? cardRow(item) : messageRow(item));
  if (atBottom || state.scrollDown) feed.scrollTop = feed.scrollHeight;
  state.scrollDown = false;
}

function messageRow(item) {
  const row = document.createElement("div");
  const mine = item.kind === "said" && item.mine;
  row.className = "row" + (mine ? " mine" : "");
  const label = item.kind === "said" ? (mine ? "我" : item.name)
    : item.via === "appchat" ? `群聊「${item.chat}」· 网格哨` : VIA_NAMES[item.via] || item.via;
  const body = item.markdown ? markdown(item.text) : escapeHtml(item.text);
  row.innerHTML = `<div><div class="meta">${escapeHtml(label)}</div><div class="bubble">${body}</div></div>`;
  return row;
}

function cardRow(card) {
  const row = document.createElement("div");
  row.className = "row";
  const fields = card.fields.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join("");
  row.innerHTML = `<div><div class="meta">${VIA_NAMES.app} · 卡片</div><div class="card">
    <div class="t">${escapeHtml(card.title)}</div>
    ${card.desc ? `<div class="d">${escapeHtml(card.desc)}</div>` : ""}
    ${fields ? `<table>${fields}</table>` : ""}
    ${card.buttons.length ? '<div class="sels"></div><div class="btns"></div>' : `<div class="done">${escapeHtml(card.done || "已处理")}</div>`}
  </div></div>`;
  const selects = row.querySelector(".sels");
  for (const sel of card.selects || []) {
    const box = document.createElement("select");
    box.dataset.key = sel.key;
    box.innerHTML = `<option value="">${escapeHtml(sel.title)}：请选择</option>` +
      sel.options.map(([id, text]) => `<option value="${escapeHtml(id)}">${escapeHtml(text)}</option>`).join("");
    if (selects) selects.appendChild(box);
  }
  const buttons = row.querySelector(".btns");
  for (const b of card.buttons) {
    const button = document.createElement("button");
    button.textContent = b.text;
    button.onclick = () => click(card, b, button, selects);
    if (buttons) buttons.appendChild(button);
  }
  return row;
}

async function click(card, b, button, selects) {
  button.disabled = true;
  button.textContent = "提交中…";
  const call = { ...view(), task_id: card.task_id, key: b.key, text: b.text };
  if ((card.selects || []).length && selects) {  // a card with drop-down lists: what was picked goes along
    call.selected = {};
    for (const box of selects.querySelectorAll("select")) call.selected[box.dataset.key] = box.value ? [box.value] : [];
  }
  await send(() => api("click", call));
}

async function send(call) {
  $("error").textContent = "";
  $("send").disabled = true;
  try {
    const answer = await call();
    state.lastFeed = JSON.stringify(answer.items);
    state.scrollDown = true;
    render(answer.items);
  } catch (e) {
    $("error").textContent = "出错了：" + e.message;
  } finally {
    $("send").disabled = false;
    refreshWaiting();
  }
}

async function refresh(force) {
  const v = view();
  $("chat-title").textContent = title(v);
  try {
    const data = await api("feed?" + query(v));
    const text = JSON.stringify(data.items);
    if (force || text !== state.lastFeed) {
      state.lastFeed = text;
      if (force) state.scrollDown = true;
      render(data.items);
    }
  } catch (e) {
    $("error").textContent = "连不上演示服务：" + e.message;
  }
}

async function refreshWaiting() {
  try {
    const w = await api("waiting");
    const box = $("waiting");
    if (!w.count) { box.textContent = ""; return; }
    const at = new Date(w.first).toLocaleString("zh-CN", {  // the county's time, whatever the browser's
      timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    box.innerHTML = `全县有 ${w.count} 条消息在等待发送（免打扰时段或合并进展），最早 ${at} <button id="send-now">立即发送</button>`;
    $("send-now").onclick = () => send(async () => { await api("send_now", {}); return api("feed?" + query(view())); });
  } catch (e) { /* the feed shows the error */ }
}

function useStory(step) {
  const s = STORY[step];
  selectPerson(s.userid);
  document.querySelector(`input[value=${s.where}]`).checked = true;
  $("text").value = s.text;
  refresh(true);
}

$("say").onsubmit = (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("text").value = "";
  send(() => api("say", { ...view(), text }));
};
$("text").onkeydown = (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("say").requestSubmit(); }
};
$("who").onchange = onPersonChanged;
$("chat").onchange = () => { document.querySelector("input[value=group]").checked = true; refresh(true); };
for (const radio of document.querySelectorAll("input[name=where]")) radio.onchange = () => refresh(true);
for (const button of document.querySelectorAll(".story button")) button.onclick = () => useStory(+button.dataset.step);

function start() {  // ?as=liutao&where=group&chat=wrkSFfCgAAhoudaolao3 opens the page as that person, there
  const params = new URLSearchParams(location.search);
  selectPerson(params.get("as") || "jiangdahai");
  const where = document.querySelector(`input[name=where][value="${params.get("where")}"]`);
  if (where && !where.disabled) where.checked = true;
  if (params.get("chat")) $("chat").value = params.get("chat");
  refresh(true);
}

loadPeople().then(() => { start(); setInterval(refresh, 2000); setInterval(refreshWaiting, 3000); refreshWaiting(); })
  .catch((e) => { $("error").textContent = "载入人员失败：" + e.message; });

// The header's 控制台 link opens the leaders' console signed in as whoever is being played.
function updateConsoleLink() {
  $("console-link").href = "console?userid=" + encodeURIComponent($("who").value);
}
$("who").addEventListener("change", updateConsoleLink);
$("console-link").addEventListener("click", updateConsoleLink);
// On a phone the people list hides behind the 名单 button; choosing someone goes back to the chat.
$("people-toggle").onclick = () => document.body.classList.toggle("people");
$("who").addEventListener("change", () => document.body.classList.remove("people"));

// 重置演示: the demo starts over on a fresh database (the old file is kept beside it); reload when it is back.
$("reset").onclick = async () => {
  if (!confirm("重置演示？所有诉求、哨单和聊天记录将清空（旧数据库文件会保留备份）。")) return;
  const run = (await fetch("api/people")).headers.get("X-Demo-Run");
  const response = await fetch("api/reset", { method: "POST" });
  if (!response.ok) { $("error").textContent = (await response.json()).error || "重置失败"; return; }
  $("reset").disabled = true;
  $("reset").textContent = "重置中…";
  for (let i = 0; i < 120; i++) {
    await new Promise((done) => setTimeout(done, 500));
    try {
      const back = await fetch("api/people");
      if (back.ok && back.headers.get("X-Demo-Run") !== run) { location.reload(); return; }
    } catch (e) { /* still restarting */ }
  }
};
