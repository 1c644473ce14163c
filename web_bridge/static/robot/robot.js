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
  } catch (error) {
    status.textContent = "연결 끊김 · Disconnected";
    status.classList.add("offline");
  }
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
