// Suwon official call board (새빛민원실 호출판): plain ES module, no build step.
// Polls the board API every few seconds; officials accept (name + ETA), mark arrival, close.
// Auth: the site's board token, kept in localStorage and sent as X-Board-Token.

const API = new URL("../api/v1/calls/board", window.location.href).pathname;
const TOKEN_KEY = "suwon.callboard.token";
const NAME_KEY = "suwon.callboard.officialName";
const REFRESH_MS = 3000;
const ETA_CHOICES = [1, 3, 5, 10, 15, 20, 30, 45, 60];

const STATUS_LABEL = {
  delivered: "대기 · Waiting",
  accepted: "수락됨 · Accepted",
  arrived: "응대 중 · With visitor",
};
const LANGUAGE_LABEL = {
  ko: "한국어 · Korean", en: "영어 · English", zh: "중국어 · Chinese",
  ja: "일본어 · Japanese", vi: "베트남어 · Vietnamese", th: "태국어 · Thai",
  ru: "러시아어 · Russian", mn: "몽골어 · Mongolian", uz: "우즈베크어 · Uzbek",
};

const $ = (id) => document.getElementById(id);
const cards = new Map(); // call_id → {element, status}
let timer = null;
let firstLoad = true;

function token() { return window.localStorage.getItem(TOKEN_KEY) || ""; }

function showBanner(message) {
  const banner = $("banner");
  banner.textContent = message;
  banner.hidden = !message;
}

function setConn(state, text) {
  const conn = $("conn");
  conn.dataset.state = state;
  conn.textContent = text;
}

async function api(path, options = {}) {
  const response = await fetch(API + path, {
    ...options,
    headers: { "X-Board-Token": token(), "Content-Type": "application/json",
               ...(options.headers || {}) },
  });
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    const error = new Error((body && (body.detail || body.title)) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function bigButton(cls, ko, en, testid, onClick) {
  const button = el("button", { type: "button", class: `big ${cls}`, "data-testid": testid },
                    ko, el("span", { class: "en" }, en));
  button.addEventListener("click", () => run(button, onClick));
  return button;
}

async function run(button, action) {
  const buttons = button.closest(".actions").querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await action();
    showBanner("");
    await refresh();
  } catch (error) {
    showBanner(`처리하지 못했습니다 · Could not do that: ${error.message}`);
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function waited(createdAt) {
  const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(createdAt)) / 60000));
  return minutes < 1 ? "방금 · just now" : `${minutes}분 대기 · ${minutes} min waiting`;
}

function actionsFor(call) {
  const box = document.createDocumentFragment();
  const id = call.call_id;
  if (call.status === "delivered") {
    const name = el("input", { type: "text", maxlength: "60", required: "",
                               "data-testid": "official-name",
                               "aria-label": "담당자 이름 · Official's name" });
    name.value = window.localStorage.getItem(NAME_KEY) || "";
    const eta = el("select", { "data-testid": "eta", "aria-label": "도착 예정 · ETA" });
    for (const m of ETA_CHOICES) eta.append(el("option", { value: String(m) }, `${m}분 · ${m} min`));
    eta.value = "5";
    box.append(
      el("label", {}, "담당자 이름 · Your name", name),
      el("label", {}, "도착 예정 · ETA", eta),
      bigButton("accept", "수락", "Accept", "accept", async () => {
        const official = name.value.trim();
        if (!official) {
          name.focus();
          throw new Error("이름을 입력하세요 · Enter your name");
        }
        window.localStorage.setItem(NAME_KEY, official);
        await api(`/${id}/accept`, { method: "POST", body: JSON.stringify(
          { official_name: official, eta_minutes: Number(eta.value) }) });
      }),
      bigButton("decline", "거절", "Decline", "decline", async () => {
        if (!window.confirm("이 호출을 거절할까요? · Decline this call?")) return;
        await api(`/${id}/decline`, { method: "POST", body: JSON.stringify({ reason: "" }) });
      }),
    );
  } else if (call.status === "accepted") {
    box.append(bigButton("arrived", "도착", "Arrived", "arrived",
                         () => api(`/${id}/arrived`, { method: "POST" })));
  } else if (call.status === "arrived") {
    box.append(bigButton("close", "종료", "Close", "close",
                         () => api(`/${id}/close`, { method: "POST" })));
  }
  return box;
}

function fill(card, call) {
  const part = (role) => card.querySelector(`[data-role="${role}"]`);
  card.classList.toggle("urgent", call.priority === "urgent");
  part("priority").textContent = call.priority === "urgent" ? "긴급 · Urgent" : "일반 · Normal";
  part("priority").classList.toggle("urgent", call.priority === "urgent");
  part("status").textContent = STATUS_LABEL[call.status] || call.status;
  part("status").dataset.status = call.status;
  part("waited").textContent = waited(call.created_at);
  part("topic").textContent = call.topic.text +
    (call.topic.service_id ? ` (${call.topic.service_id})` : "");
  part("place").textContent = call.place_id;
  const lang = call.visitor_language.split("-")[0];
  part("language").textContent = LANGUAGE_LABEL[lang] || call.visitor_language;
  part("robot").textContent = call.robot_id;
  part("official-row").hidden = !call.official_name;
  part("official").textContent = call.official_name
    ? `${call.official_name} · ${call.eta_minutes}분 내 · within ${call.eta_minutes} min` : "";
  part("note").hidden = !call.note;
  part("note").textContent = call.note;
}

function render(calls) {
  const list = $("calls");
  const seen = new Set();
  for (const call of calls) {
    seen.add(call.call_id);
    let entry = cards.get(call.call_id);
    if (!entry) {
      const element = $("call-template").content.firstElementChild.cloneNode(true);
      element.dataset.callId = call.call_id;
      element.dataset.testid = "call";
      if (!firstLoad) element.classList.add("fresh"); // draw the eye to a new call
      entry = { element, status: null };
      cards.set(call.call_id, entry);
    }
    fill(entry.element, call);
    // Rebuild the buttons only when the status changed, so typing is not interrupted.
    if (entry.status !== call.status) {
      const actions = entry.element.querySelector('[data-role="actions"]');
      actions.replaceChildren(actionsFor(call));
      entry.status = call.status;
    }
    list.append(entry.element); // keeps server order (newest first)
  }
  for (const [id, entry] of cards) {
    if (!seen.has(id)) { entry.element.remove(); cards.delete(id); }
  }
  $("empty").hidden = calls.length > 0;
  firstLoad = false;
}

async function refresh() {
  try {
    const board = await api("");
    $("site").textContent = `사이트 · Site: ${board.site_id}`;
    render(board.calls);
    setConn("ok", `갱신 · Updated ${new Date().toLocaleTimeString("ko-KR")}`);
  } catch (error) {
    if (error.status === 401) { signOut("토큰이 올바르지 않습니다 · Invalid token"); return; }
    setConn("error", "연결 끊김 · Disconnected");
  }
}

function showBoard(connected) {
  $("login").hidden = connected;
  $("board").hidden = !connected;
  $("sign-out").hidden = !connected;
}

function start() {
  showBoard(true);
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

function signOut(message = "") {
  clearInterval(timer);
  window.localStorage.removeItem(TOKEN_KEY);
  for (const entry of cards.values()) entry.element.remove();
  cards.clear();
  firstLoad = true;
  showBoard(false);
  showBanner(message);
  setConn("idle", "");
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  window.localStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  showBanner("");
  start();
});
$("sign-out").addEventListener("click", () => signOut());

if (token()) start(); else showBoard(false);
