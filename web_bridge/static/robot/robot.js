// The robot's screen: shows what the robot says (Korean large, English below), where it is
// going, and its status. Polls the bridge twice a second; the page runs on the robot itself.
"use strict";

const robotId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const MODES = {
  idle: "대기 중 · Ready", navigating: "이동 중 · Moving", guiding: "안내 중 · Guiding",
  touring: "해설 중 · Touring", waiting: "기다리는 중 · Waiting", docking: "충전하러 가는 중 · Docking",
  charging: "충전 중 · Charging", paused: "일시 정지 · Paused", estopped: "비상 정지 · Emergency stop",
  error: "오류 · Error", offline: "연결 끊김 · Offline",
};
let lastUtterance = "";

async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await fetch(`/api/v1/robots/${encodeURIComponent(robotId)}/screen`);
    if (!response.ok) throw new Error(response.status);
    const screen = await response.json();
    document.getElementById("site").textContent = `${screen.site_name_ko} · ${screen.site_name_en}`;
    const battery = screen.battery_percent == null ? "" : ` · ${Math.round(screen.battery_percent)}%`;
    status.textContent = (MODES[screen.mode] || screen.mode) + battery;
    status.classList.toggle("offline", screen.mode === "offline");
    const latest = screen.said[screen.said.length - 1];
    if (latest && latest.utterance_id !== lastUtterance) {
      lastUtterance = latest.utterance_id;
      document.getElementById("said-ko").textContent = latest.text_ko;
      document.getElementById("said-en").textContent = latest.text_en;
    }
    document.getElementById("listening").hidden = !screen.listening;
    const docent = screen.role === "docent";
    for (const b of document.querySelectorAll("#quick .docent")) b.hidden = !docent;
    for (const b of document.querySelectorAll("#quick .lobby")) b.hidden = docent;
    // The robot's mode decides whether a tour is under way (its agent runs the tour task).
    const touring = Boolean(screen.tour && !screen.tour.finished
      && ["touring", "paused", "estopped"].includes(screen.mode));
    showTour(touring || screen.tour?.phase === "rating" ? screen.tour : null);
    document.getElementById("suggest").hidden = !docent || touring || screen.mode !== "idle";
    const destination = document.getElementById("destination");
    destination.hidden = !screen.destination_ko;
    document.getElementById("destination-name").textContent =
      `${screen.destination_ko} · ${screen.destination_en}`;
    if (!destination.hidden) drawMap(screen);
    showCard(screen.card);
    const heard = document.getElementById("heard");
    heard.hidden = !screen.heard;
    if (screen.heard) {
      const tapped = screen.heard.source === "touch" ? " (화면 · touch)" : "";
      document.getElementById("heard-text").textContent = `“${screen.heard.text}”${tapped}`;
    }
  } catch (error) {
    status.textContent = "연결 끊김 · Disconnected";
    status.classList.add("offline");
  }
}

// The concierge's answer as a card: what to bring, the fee, where and when (Korean large,
// English under each line), so a visitor can read it again or copy it down.
let shownCard = "";
function showCard(card) {
  const section = document.getElementById("card");
  section.hidden = !card;
  if (!card) { shownCard = ""; return; }
  const key = JSON.stringify(card);
  if (key === shownCard) return;
  shownCard = key;
  document.getElementById("card-title").textContent = `${card.title_ko} · ${card.title_en}`;
  document.getElementById("card-lines").replaceChildren(...card.lines_ko.map((ko, i) => {
    const item = document.createElement("li");
    const en = document.createElement("span");
    en.className = "en";
    en.lang = "en";
    en.textContent = card.lines_en[i] ?? "";
    item.append(ko, en);
    return item;
  }));
}

// Where the robot is going: the site map, cropped round the robot and its destination, with
// the planned path (blue), the destination (red) and the robot with its heading (green).
const mapImage = new Image();
function drawMap(screen) {
  const canvas = document.getElementById("map");
  const m = screen.map;
  if (mapImage.dataset.src !== m.image_url) {
    mapImage.dataset.src = m.image_url;
    mapImage.src = m.image_url;
  }
  if (!mapImage.complete || !mapImage.naturalWidth || !screen.pose) return;
  const toPx = ([x, y]) => [(x - m.origin[0]) / m.resolution, m.height - (y - m.origin[1]) / m.resolution];
  const points = [screen.pose.slice(0, 2), ...(screen.path || [])];
  if (screen.destination_xy) points.push(screen.destination_xy);
  const px = points.map(toPx);
  const margin = 4 / m.resolution; // 4 m round what matters
  let x0 = Math.min(...px.map((p) => p[0])) - margin, x1 = Math.max(...px.map((p) => p[0])) + margin;
  let y0 = Math.min(...px.map((p) => p[1])) - margin, y1 = Math.max(...px.map((p) => p[1])) + margin;
  const aspect = canvas.width / canvas.height; // widen the crop to the canvas's shape
  if ((x1 - x0) / (y1 - y0) < aspect) { const grow = ((y1 - y0) * aspect - (x1 - x0)) / 2; x0 -= grow; x1 += grow; }
  else { const grow = ((x1 - x0) / aspect - (y1 - y0)) / 2; y0 -= grow; y1 += grow; }
  const scale = canvas.width / (x1 - x0);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#cdcdcd";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(mapImage, x0, y0, x1 - x0, y1 - y0, 0, 0, canvas.width, canvas.height);
  const at = ([x, y]) => [(x - x0) * scale, (y - y0) * scale];
  // The way still ahead: the plan from its point nearest the robot on.
  const plan = screen.path || [];
  let nearest = 0;
  plan.forEach(([x, y], i) => {
    const [bx, by] = plan[nearest];
    if (Math.hypot(x - screen.pose[0], y - screen.pose[1]) < Math.hypot(bx - screen.pose[0], by - screen.pose[1])) nearest = i;
  });
  const path = [screen.pose.slice(0, 2), ...plan.slice(nearest + 1)].map(toPx).map(at);
  if (path.length > 1) {
    ctx.strokeStyle = "#1565c0"; ctx.lineWidth = 6; ctx.beginPath();
    path.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
  }
  if (screen.destination_xy) {
    const [dx, dy] = at(toPx(screen.destination_xy));
    ctx.fillStyle = "#c62828"; ctx.beginPath(); ctx.arc(dx, dy, 14, 0, 2 * Math.PI); ctx.fill();
    canvas.dataset.destination = screen.destination_xy.map((v) => v.toFixed(1)).join(",");
  }
  const [rx, ry] = at(toPx(screen.pose));
  const yaw = screen.pose[2];
  ctx.fillStyle = "#2e7d32"; ctx.beginPath(); ctx.arc(rx, ry, 16, 0, 2 * Math.PI); ctx.fill();
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 4; ctx.beginPath(); ctx.moveTo(rx, ry);
  ctx.lineTo(rx + 22 * Math.cos(yaw), ry - 22 * Math.sin(yaw)); ctx.stroke();
  canvas.dataset.robot = screen.pose.slice(0, 2).map((v) => v.toFixed(1)).join(",");
  canvas.dataset.pathPoints = String(path.length);
}

// A docent's tour: "stop k of n, time left" (Korean large, English below), how far along it
// is, whether the group is with the robot, and the 1-5 rating buttons when it asks for one.
function showTour(tour) {
  const panel = document.getElementById("tour");
  panel.hidden = !tour || (tour.finished && tour.phase !== "rating");
  if (panel.hidden) return;
  document.getElementById("tour-label-ko").textContent = tour.label?.ko ?? "";
  document.getElementById("tour-label-en").textContent = tour.label?.en ?? "";
  const share = tour.of > 0 ? Math.min(1, tour.stops_done / tour.of) : 0;
  document.getElementById("tour-fill").style.width = `${Math.round(share * 100)}%`;
  panel.querySelector(".tour-bar").setAttribute("aria-valuenow", String(Math.round(share * 100)));
  const count = tour.group?.count ?? 0;
  document.getElementById("tour-group").textContent = tour.phase === "waiting_for_group"
    ? "일행을 기다리고 있어요 · Waiting for the group"
    : `함께 걷는 분 ${count}명 · ${count} with me`;
  document.getElementById("rating").hidden = tour.phase !== "rating";
}

// Course suggestions: the guest says how long they have, any need and interests; the robot
// offers the courses that fit (best first, with reasons) and starts the one they pick.
const choice = { minutes: 60, step_free: false, interests: new Set() };

async function suggest() {
  const params = new URLSearchParams({ minutes: String(choice.minutes), step_free: String(choice.step_free) });
  for (const interest of choice.interests) params.append("interests", interest);
  const list = document.getElementById("courses");
  const notice = document.getElementById("suggest-notice");
  const response = await fetch(`/api/v1/robots/${encodeURIComponent(robotId)}/screen/tours?${params}`);
  const result = await response.json().catch(() => null);
  if (!response.ok || !result) {
    notice.textContent = "추천을 불러오지 못했어요 · Could not load suggestions";
    return;
  }
  notice.textContent = result.notice ? `${result.notice.ko} · ${result.notice.en}`
    : result.suggestions.length ? "" : "맞는 코스가 없어요 · No course fits";
  list.replaceChildren(...result.suggestions.map((course) => {
    const item = document.createElement("li");
    item.dataset.testid = `course-${course.tour_id}`;
    const start = document.createElement("button");
    start.type = "button";
    start.dataset.testid = `start-${course.tour_id}`;
    start.textContent = "시작 · Start";
    start.addEventListener("click", () => startTour(course.tour_id));
    const why = document.createElement("span");
    why.className = "why";
    why.textContent = course.reasons.map((r) => `${r.ko} · ${r.en}`).join(" / ");
    item.append(`${course.name.ko} · ${course.name.en} — 약 ${course.minutes}분 · about ${course.minutes} min `,
      start, why);
    return item;
  }));
}

async function startTour(tourId) {
  const notice = document.getElementById("suggest-notice");
  const response = await fetch(`/api/v1/robots/${encodeURIComponent(robotId)}/screen/tour`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ tour_id: tourId }),
  });
  const answer = await response.json().catch(() => null);
  notice.textContent = response.ok ? "투어를 시작합니다. 따라오세요! · Starting the tour. Follow me!"
    : `${answer?.detail ?? response.status}`;
}

for (const button of document.querySelectorAll("#suggest [data-minutes]")) {
  button.addEventListener("click", () => {
    choice.minutes = Number(button.dataset.minutes);
    for (const b of document.querySelectorAll("#suggest [data-minutes]")) b.classList.toggle("chosen", b === button);
    suggest();
  });
}
for (const button of document.querySelectorAll("#suggest .toggle")) {
  button.addEventListener("click", () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(on));
    if (button.dataset.need) choice.step_free = on;
    else if (on) choice.interests.add(button.dataset.interest);
    else choice.interests.delete(button.dataset.interest);
    suggest();
  });
}

// Every button works without speaking: it is heard exactly as if the words were said
// (accessibility of public kiosks: voice alone or touch alone).
async function post(path, body) {
  const response = await fetch(`/api/v1/robots/${encodeURIComponent(robotId)}${path}`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) document.getElementById("status").textContent = `오류 · Error ${response.status}`;
}
for (const button of document.querySelectorAll("#quick [data-say]")) {
  button.dataset.testid = `quick-${button.dataset.say}`;
  button.addEventListener("click", () => post("/screen/input", { text: button.dataset.say }));
}
for (const button of document.querySelectorAll("#rating [data-rate]")) {
  button.dataset.testid = `rate-${button.dataset.rate}`;
  button.addEventListener("click", () => post("/screen/input", { text: `rating:${button.dataset.rate}` }));
}
document.getElementById("talk").addEventListener("click", () => post("/screen/listen"));

refresh();
setInterval(refresh, 500);
