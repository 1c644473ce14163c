// Suwon robot fleet dashboard — plain ES module, no build step, no external resources.
//
// Data flow: GET /api/v1/sites once (retried until it works) builds one panel per site;
// fleet state arrives over the WebSocket /api/v1/fleet/ws (GET /api/v1/fleet is used for the
// first paint and as a slow fallback while the socket is down). Every fleet state goes through
// applyFleetState(), which updates the DOM in place; a requestAnimationFrame loop eases the
// drawn robot poses towards the latest reported ones and redraws only the maps that changed.
//
// All data-derived text goes into the DOM through textContent / text nodes, never innerHTML.

const API = '/api/v1';

// ------------------------------------------------------------------ login
//
// OAuth2 password flow: POST /auth/token gives a short-lived JWT, kept in sessionStorage (gone
// when the tab closes). Every request carries it; the WebSocket sends it as the subprotocol
// pair ["bearer", token]. Any 401 brings the login form back, and work resumes after it.

const auth = {
  token: sessionStorage.getItem('suwon.token') || '',
  user: JSON.parse(sessionStorage.getItem('suwon.user') || 'null'),
  waiting: [],  // resolvers of requests held while the login form is up
};

function loggedIn() { return Boolean(auth.token); }
function canCommand() { return ['operator', 'admin'].includes(auth.user?.role); }

function showLogin(note) {
  const box = document.getElementById('login');
  setText(document.getElementById('login-note'), note || '');
  box.hidden = false;
  document.getElementById('login-username').focus();
}

function whenLoggedIn() {
  if (loggedIn()) return Promise.resolve();
  return new Promise((resolve) => auth.waiting.push(resolve));
}

function showUser() {
  const el = document.getElementById('user');
  el.hidden = !auth.user;
  if (auth.user) setText(el, `${auth.user.display_name || auth.user.username} · ${auth.user.role}`);
  document.getElementById('logout').hidden = !auth.user;
  for (const rv of state.robots.values()) rv.updateCommandAccess?.();
}

function forgetLogin(note) {
  auth.token = '';
  auth.user = null;
  sessionStorage.removeItem('suwon.token');
  sessionStorage.removeItem('suwon.user');
  showUser();
  ws?.close();
  showLogin(note);
}

async function logIn(ev) {
  ev.preventDefault();
  const form = new URLSearchParams({
    username: document.getElementById('login-username').value,
    password: document.getElementById('login-password').value,
  });
  let res;
  try {
    res = await fetch(`${API}/auth/token`, { method: 'POST', body: form });
  } catch (err) {
    setText(document.getElementById('login-note'), `서버에 연결할 수 없습니다 · Server unreachable: ${err.message}`);
    return;
  }
  const payload = await res.json().catch(() => null);
  if (!res.ok) {
    setText(document.getElementById('login-note'), payload?.detail || `HTTP ${res.status}`);
    return;
  }
  auth.token = payload.access_token;
  auth.user = { username: payload.username, role: payload.role, display_name: payload.display_name };
  sessionStorage.setItem('suwon.token', auth.token);
  sessionStorage.setItem('suwon.user', JSON.stringify(auth.user));
  document.getElementById('login-password').value = '';
  document.getElementById('login').hidden = true;
  showUser();
  for (const resolve of auth.waiting.splice(0)) resolve();
}

/** fetch() with the token; a 401 asks the operator to log in again and then retries. */
async function authFetch(url, options = {}) {
  for (;;) {
    await whenLoggedIn();
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${auth.token}` };
    const res = await fetch(url, { cache: 'no-store', ...options, headers });
    if (res.status !== 401) return res;
    forgetLogin('세션이 만료되었습니다. 다시 로그인해 주세요 · Session expired, please log in again');
  }
}

const MODES = {
  idle:       { ko: '대기',      color: '#64748b' },
  navigating: { ko: '이동 중',   color: '#2563eb' },
  guiding:    { ko: '안내 중',   color: '#0d9488' },
  touring:    { ko: '투어 중',   color: '#7c3aed' },
  waiting:    { ko: '기다리는 중', color: '#d97706' },
  docking:    { ko: '도킹 중',   color: '#0891b2' },
  charging:   { ko: '충전 중',   color: '#16a34a' },
  paused:     { ko: '일시 정지', color: '#ca8a04' },
  estopped:   { ko: '비상 정지', color: '#dc2626' },
  error:      { ko: '오류',      color: '#be123c' },
  offline:    { ko: '오프라인',  color: '#9ca3af' },
};
const UNKNOWN_MODE = { ko: '알 수 없음', color: '#475569' };
const ALARM_MODES = new Set(['estopped', 'error']);

const TASK_STATUS = {
  uninitialized: { ko: '초기화 전', cls: '' },
  blocked:       { ko: '차단됨',   cls: 'warn' },
  error:         { ko: '오류',     cls: 'bad' },
  failed:        { ko: '실패',     cls: 'bad' },
  queued:        { ko: '대기열',   cls: '' },
  standby:       { ko: '준비',     cls: '' },
  underway:      { ko: '진행 중',  cls: 'active' },
  delayed:       { ko: '지연',     cls: 'warn' },
  skipped:       { ko: '건너뜀',   cls: '' },
  canceled:      { ko: '취소됨',   cls: '' },
  killed:        { ko: '강제 종료', cls: 'bad' },
  completed:     { ko: '완료',     cls: 'done' },
};

const TASK_TYPES = {
  go_to_place: '장소 이동',
  guide_visitor: '길 안내',
  run_tour: '해설 투어',
  dock: '충전소 복귀',
  call_official: '베테랑 공무원 호출',
};

const CANVAS_FONT = '"Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif';
const STALE_AFTER_S = 5;        // a robot not heard from for this long is flagged on its card
const SNAP_DISTANCE_M = 3;      // jumps larger than this are not animated
const EASE_TAU_S = 0.15;        // time constant of the pose easing
const POLL_INTERVAL_MS = 3000;  // GET /fleet fallback while the WebSocket is down
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 15000;

const reduceMotion = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

const state = {
  sites: new Map(),      // site_id -> SiteView
  robots: new Map(),     // robot_id -> RobotView
  taskRows: new Map(),   // task_id -> row view
  tasksById: new Map(),  // task_id -> task object from the latest fleet state
  fleet: null,
  otherPanel: null,      // panel for robots whose site is unknown
  wsConnected: false,
};

// ------------------------------------------------------------------ small helpers

// Language: Korean first with English alongside ("대기 중 · idle"), or English only. Every
// string of the UI is written as such a pair, so English only keeps each pair's English side.
const LANG_KEY = 'suwon.dashboard.lang';
const ENGLISH = localStorage.getItem(LANG_KEY) === 'en';
const HANGUL = /[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]/;
const READABLE_ATTRS = new Set(['title', 'aria-label', 'placeholder']);

/** The text as shown in the chosen language (unchanged in Korean, and when it has no English). */
function L(text) {
  if (!ENGLISH || typeof text !== 'string' || !HANGUL.test(text)) return text;
  const english = (part) => {
    if (!HANGUL.test(part)) return part;
    const dash = part.lastIndexOf(' — ');  // "작업 3건 — 3 active tasks"
    return dash >= 0 && !HANGUL.test(part.slice(dash + 3)) ? part.slice(dash + 3) : null;
  };
  const pairs = text.split(/ · /).map(english).filter((part) => part != null);
  if (pairs.length && pairs.join('').trim()) return pairs.join(' · ');
  const lines = text.split('\n').filter((line) => !HANGUL.test(line));  // "한국어\nEnglish"
  return lines.length ? lines.join('\n') : text;
}

/** English only: rewrite the page's own (static) text once, at start. */
function localiseStatic(root = document.body) {
  if (!ENGLISH) return;
  document.documentElement.lang = 'en';
  for (const el of root.querySelectorAll('[data-en]')) el.textContent = el.dataset.en;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    if (text) node.nodeValue = node.nodeValue.replace(text, L(text));
  }
  for (const el of root.querySelectorAll('[title], [aria-label], [placeholder]')) {
    for (const name of READABLE_ATTRS) {
      if (el.hasAttribute(name)) el.setAttribute(name, L(el.getAttribute(name)));
    }
  }
}

/** Create an element. Children that are strings become text nodes (never parsed as HTML). */
function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = L(String(v));
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : READABLE_ATTRS.has(k) ? L(String(v)) : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : L(String(c)));
  }
  return e;
}

function setText(el, text) {
  const t = text == null ? '' : L(String(text));
  if (el.textContent !== t) el.textContent = t;
}

function setAttr(el, name, value) {
  let v = value == null ? '' : String(value);
  if (READABLE_ATTRS.has(name)) v = L(v);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const fmt2 = (v) => (isNum(v) ? v.toFixed(2) : '');

function modeInfo(mode) {
  return MODES[mode] ?? UNKNOWN_MODE;
}

function modeLabel(mode) {
  const m = MODES[mode];
  return m ? `${m.ko} · ${mode}` : `${UNKNOWN_MODE.ko} · ${mode ?? '—'}`;
}

function statusLabel(status) {
  const s = TASK_STATUS[status];
  return s ? `${s.ko} · ${status}` : String(status ?? '—');
}

function formatAgo(seconds) {
  if (!isNum(seconds)) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)}초 전 · ${seconds.toFixed(1)} s ago`;
  if (seconds < 120) return `${Math.round(seconds)}초 전 · ${Math.round(seconds)} s ago`;
  if (seconds < 7200) {
    const m = Math.round(seconds / 60);
    return `${m}분 전 · ${m} min ago`;
  }
  const hr = Math.round(seconds / 3600);
  return `${hr}시간 전 · ${hr} h ago`;
}

function formatClock(epochSeconds) {
  if (!isNum(epochSeconds)) return '';
  const d = new Date(epochSeconds * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function placeOf(siteId, placeId) {
  return state.sites.get(siteId)?.placeById.get(placeId) ?? null;
}

/** "정문 출입구 · Main entrance", or the raw place id when the place is not known. */
function placeLabel(siteId, placeId) {
  if (placeId == null || placeId === '') return '—';
  const p = placeOf(siteId, placeId);
  if (!p) return String(placeId);
  return p.name_en ? `${p.name_ko} · ${p.name_en}` : String(p.name_ko ?? placeId);
}

function showBanner(text) {
  const b = document.getElementById('banner');
  if (text) { setText(b, text); b.hidden = false; } else { b.hidden = true; }
}

async function fetchJson(url, options) {
  const res = await authFetch(url, { headers: { Accept: 'application/json' }, ...options });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

// ------------------------------------------------------------------ site panels & maps

class SiteView {
  constructor(site) {
    this.site = site;
    this.id = String(site.site_id);
    this.map = site.map ?? null;
    this.placeById = new Map((site.places ?? []).map((p) => [String(p.place_id), p]));
    this.robotIds = new Set();
    this.dirty = true;
    this.cssW = 0;
    this.cssH = 0;
    this.imgReady = false;

    const nameEn = site.name_en ? ` · ${site.name_en}` : '';
    this.countEl = h('span', { class: 'site-meta' });
    this.canvas = h('canvas', {
      'data-testid': `map-${this.id}`,
      role: 'img',
      'aria-label': `${site.name_ko ?? this.id}${nameEn} 지도 · map`,
    });
    this.note = h('div', { class: 'map-note', hidden: true });
    this.listEl = h('div', { class: 'robot-list' });
    this.emptyEl = h('p', { class: 'empty', text: '이 사이트의 로봇 없음 · No robots at this site' });
    this.listEl.append(this.emptyEl);

    this.panel = h('section', { class: 'site-panel', 'data-testid': `site-${this.id}` },
      h('header', { class: 'site-head' },
        h('h2', {}, String(site.name_ko ?? this.id), h('span', { class: 'en', text: nameEn })),
        h('span', { class: 'site-id', text: this.id }),
        this.countEl),
      h('div', { class: 'site-body' },
        h('div', { class: 'map-wrap' }, this.canvas, this.note),
        this.listEl));

    this.ctx = this.canvas.getContext('2d');
    const mw = this.map?.width, mh = this.map?.height;
    this.aspect = isNum(mw) && isNum(mh) && mw > 0 && mh > 0 ? mw / mh : 5 / 3;
    this.canvas.style.aspectRatio = `${this.aspect}`;
    // Tall/square maps would push everything else off a laptop screen: cap the height.
    this.canvas.style.maxWidth = `calc(72vh * ${this.aspect.toFixed(4)})`;

    if (this.map?.image_url) {
      this.img = new Image();
      this.img.decoding = 'async';
      this.img.onload = () => { this.imgReady = true; this.dirty = true; };
      this.img.onerror = () => {
        this.note.hidden = false;
        setText(this.note, '지도 이미지를 불러오지 못했습니다 · Map image failed to load');
        this.dirty = true;
      };
      // <img src> cannot send the token: fetch the picture and show it from a blob URL.
      authFetch(this.map.image_url)
        .then((res) => { if (!res.ok) throw new Error(res.status); return res.blob(); })
        .then((blob) => { this.img.src = URL.createObjectURL(blob); })
        .catch(() => this.img.onerror());
    } else {
      this.note.hidden = false;
      setText(this.note, '지도 정보 없음 · No map');
    }

    new ResizeObserver(() => this.resize()).observe(this.canvas);
  }

  resize() {
    const w = this.canvas.clientWidth;
    if (w <= 0) return;
    const hgt = w / this.aspect;
    const dpr = window.devicePixelRatio || 1;
    const bw = Math.round(w * dpr), bh = Math.round(hgt * dpr);
    if (this.canvas.width !== bw || this.canvas.height !== bh) {
      this.canvas.width = bw;
      this.canvas.height = bh;
    }
    this.cssW = w;
    this.cssH = hgt;
    this.dirty = true;
  }

  /** Map coordinates (m) -> canvas CSS pixels, or null when the map metadata is unusable. */
  toCanvas(x, y) {
    const m = this.map;
    if (!m || !isNum(m.resolution) || m.resolution <= 0 || !isNum(m.width) || !isNum(m.height)) return null;
    const ox = m.origin?.[0] ?? 0, oy = m.origin?.[1] ?? 0;
    const px = (x - ox) / m.resolution;
    const py = m.height - (y - oy) / m.resolution;
    const k = this.cssW / m.width;
    return [px * k, py * k];
  }

  metresToPx(metres) {
    const m = this.map;
    if (!m || !isNum(m.resolution) || !isNum(m.width) || m.width <= 0) return 0;
    return (metres / m.resolution) * (this.cssW / m.width);
  }

  updateCount() {
    const n = this.robotIds.size;
    setText(this.countEl, `로봇 ${n}대 · ${n} robot${n === 1 ? '' : 's'}`);
    this.emptyEl.hidden = n > 0;
  }

  draw() {
    this.dirty = false;
    const { ctx, cssW: w, cssH: hgt } = this;
    if (w <= 0 || hgt <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);

    if (this.imgReady) {
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(this.img, 0, 0, w, hgt);
    } else {
      drawGrid(ctx, w, hgt);
    }

    this.drawPlaces();
    this.drawVisitors();

    const robots = [...this.robotIds].map((id) => state.robots.get(id)).filter((r) => r?.shown);
    // Paths first, then bodies, then labels, so labels stay readable on top.
    for (const r of robots) this.drawPath(r);
    for (const r of robots) this.drawRobot(r);
    for (const r of robots) this.drawRobotLabel(r);
  }

  /** Simulated people (the simulator's visitors and tour groups) as small amber dots. */
  drawVisitors() {
    const people = state.fleet?.visitors?.[this.id];
    const list = Array.isArray(people) ? people : [];
    setAttr(this.canvas, 'data-visitors', String(list.length));
    const { ctx } = this;
    ctx.fillStyle = 'rgba(217, 119, 6, 0.85)';
    for (const p of list) {
      const c = Array.isArray(p) && isNum(p[0]) && isNum(p[1]) ? this.toCanvas(p[0], p[1]) : null;
      if (!c) continue;
      ctx.beginPath();
      ctx.arc(c[0], c[1], 3, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  drawPlaces() {
    const { ctx } = this;
    const occupied = [];
    ctx.font = `11px ${CANVAS_FONT}`;
    ctx.textBaseline = 'middle';
    for (const p of this.placeById.values()) {
      if (!isNum(p.x) || !isNum(p.y)) continue;
      const c = this.toCanvas(p.x, p.y);
      if (!c) continue;
      const [x, y] = c;
      const kind = String(p.kind ?? '');
      ctx.beginPath();
      if (/charg|dock/.test(kind)) {           // chargers / docks: small square
        ctx.rect(x - 3.5, y - 3.5, 7, 7);
        ctx.fillStyle = '#16a34a';
      } else {
        ctx.arc(x, y, 3.5, 0, Math.PI * 2);
        ctx.fillStyle = '#475569';
      }
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#ffffff';
      ctx.stroke();

      // Korean label to the right of the marker; skipped when it would overlap another label.
      const text = String(p.name_ko ?? p.place_id ?? '');
      if (!text) continue;
      const tw = ctx.measureText(text).width;
      let lx = x + 6;
      if (lx + tw > this.cssW - 2) lx = x - 6 - tw;   // flip left near the right edge
      const box = [lx - 2, y - 7, tw + 4, 14];
      if (occupied.some((b) => overlaps(b, box))) continue;
      occupied.push(box);
      ctx.fillStyle = 'rgba(255,255,255,0.78)';
      ctx.fillRect(...box);
      ctx.fillStyle = '#334155';
      ctx.fillText(text, lx, y + 0.5);
    }
  }

  drawPath(r) {
    const path = r.data.path;
    if (!Array.isArray(path) || path.length < 2 || r.offline) return;
    const pts = path
      .filter((pt) => Array.isArray(pt) && isNum(pt[0]) && isNum(pt[1]))
      .map((pt) => this.toCanvas(pt[0], pt[1]))
      .filter(Boolean);
    if (pts.length < 2) return;
    const { ctx } = this;
    ctx.save();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...pts[0]);
    for (const p of pts.slice(1)) ctx.lineTo(...p);
    ctx.lineWidth = 4;
    ctx.strokeStyle = 'rgba(255,255,255,0.8)';
    ctx.stroke();
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = modeInfo(r.data.mode).color;
    ctx.stroke();
    ctx.setLineDash([]);
    const [ex, ey] = pts[pts.length - 1];   // goal marker
    ctx.beginPath();
    ctx.arc(ex, ey, 5, 0, Math.PI * 2);
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.restore();
  }

  robotRadius() {
    return Math.max(7, Math.min(14, this.metresToPx(0.35)));
  }

  drawRobot(r) {
    const c = this.toCanvas(r.disp.x, r.disp.y);
    if (!c) return;
    const [x, y] = c;
    const { ctx } = this;
    const rad = this.robotRadius();
    const color = modeInfo(r.data.mode).color;
    ctx.save();
    if (ALARM_MODES.has(r.data.mode)) {       // halo for e-stop / error
      ctx.beginPath();
      ctx.arc(x, y, rad + 6, 0, Math.PI * 2);
      ctx.fillStyle = 'rgba(220,38,38,0.22)';
      ctx.fill();
    }
    ctx.beginPath();
    ctx.arc(x, y, rad, 0, Math.PI * 2);
    if (r.offline) {
      ctx.fillStyle = 'rgba(241,245,249,0.9)';
      ctx.fill();
      ctx.setLineDash([3, 3]);
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      ctx.stroke();
      ctx.setLineDash([]);
    } else {
      ctx.fillStyle = color;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#ffffff';
      ctx.stroke();
    }
    if (isNum(r.disp.yaw)) {
      // Map y points up, canvas y points down: heading (cos, sin) -> (cos, -sin).
      const dx = Math.cos(r.disp.yaw), dy = -Math.sin(r.disp.yaw);
      const tip = rad + 9;
      const tx = x + dx * tip, ty = y + dy * tip;
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(tx, ty);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = r.offline ? color : '#0f172a';
      ctx.stroke();
      const px = -dy, py = dx;   // arrow head
      ctx.beginPath();
      ctx.moveTo(tx + dx * 4, ty + dy * 4);
      ctx.lineTo(tx - dx * 3 + px * 4, ty - dy * 3 + py * 4);
      ctx.lineTo(tx - dx * 3 - px * 4, ty - dy * 3 - py * 4);
      ctx.closePath();
      ctx.fillStyle = r.offline ? color : '#0f172a';
      ctx.fill();
    }
    ctx.restore();
  }

  drawRobotLabel(r) {
    const c = this.toCanvas(r.disp.x, r.disp.y);
    if (!c) return;
    const [x, y] = c;
    const { ctx } = this;
    const text = String(r.id);
    ctx.save();
    ctx.font = `600 12px ${CANVAS_FONT}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    const ly = Math.max(14, y - this.robotRadius() - 4);
    ctx.lineJoin = 'round';
    ctx.lineWidth = 4;
    ctx.strokeStyle = 'rgba(255,255,255,0.95)';
    ctx.strokeText(text, x, ly);
    ctx.fillStyle = r.offline ? '#6b7280' : '#0f172a';
    ctx.fillText(text, x, ly);
    ctx.restore();
  }
}

function overlaps(a, b) {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

function drawGrid(ctx, w, hgt) {
  ctx.fillStyle = '#eef1f5';
  ctx.fillRect(0, 0, w, hgt);
  ctx.strokeStyle = '#dde2ea';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let x = 0; x < w; x += 40) { ctx.moveTo(x + 0.5, 0); ctx.lineTo(x + 0.5, hgt); }
  for (let y = 0; y < hgt; y += 40) { ctx.moveTo(0, y + 0.5); ctx.lineTo(w, y + 0.5); }
  ctx.stroke();
}

/** Panel for robots reporting a site_id the /sites list does not know (no map). */
function otherPanel() {
  if (state.otherPanel) return state.otherPanel;
  const listEl = h('div', { class: 'robot-list' });
  const panel = h('section', { class: 'site-panel', 'data-testid': 'site-unknown' },
    h('header', { class: 'site-head' },
      h('h2', {}, '기타 사이트 ', h('span', { class: 'en', text: '· Unknown site' }))),
    h('div', { class: 'site-body' }, listEl));
  document.getElementById('sites').append(panel);
  state.otherPanel = { panel, listEl };
  return state.otherPanel;
}

// ------------------------------------------------------------------ robot cards

class RobotView {
  constructor(id) {
    this.id = id;
    this.siteId = null;
    this.data = {};
    this.target = null;       // latest reported pose
    this.disp = null;         // pose currently drawn (eased towards target)
    this.shown = false;
    this.offline = false;

    this.modeEl = h('span', { class: 'mode-badge' });
    this.batteryFill = h('div', { class: 'bar-fill' });
    this.batteryBar = h('div', {
      class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100,
      'aria-label': '배터리 · Battery',
    }, this.batteryFill);
    this.batteryVal = h('span', { class: 'val' });
    this.chargingEl = h('span', { class: 'charging-tag', text: '⚡ 충전 중 · charging', hidden: true });
    this.taskEl = h('dd');
    this.destEl = h('dd');
    this.placeEl = h('dd');
    this.poseEl = h('dd');
    this.seenEl = h('dd');
    this.errorsEl = h('ul', { class: 'errors' });

    this.select = h('select', { 'data-testid': `goto-place-${id}`, 'aria-label': `${id} 목적지 · destination` });
    this.button = h('button', { type: 'submit', 'data-testid': `goto-button-${id}`, text: '이동 · Go' });
    this.result = h('p', { class: 'goto-result', 'data-testid': `goto-result-${id}`, 'aria-live': 'polite' });
    this.form = h('form', { class: 'goto', onsubmit: (ev) => { ev.preventDefault(); this.sendToPlace(); } },
      h('span', { class: 'goto-label', text: '장소로 보내기 · Send to place' }),
      this.select, this.button);

    // Operator commands. E-stop asks for confirmation first: it stops the robot where it is
    // and only an operator's release lets it move again.
    const cmd = (name, label, cls = '') => h('button', {
      type: 'button', class: `cmd ${cls}`.trim(), 'data-testid': `cmd-${name}-${id}`, text: label,
      onclick: () => this.command(name),
    });
    this.commandButtons = [
      cmd('pause', '일시정지 · Pause'), cmd('resume', '재개 · Resume'),
      cmd('dock', '충전 · Dock'), cmd('release', '해제 · Release'),
      cmd('estop', '비상 정지 · E-stop', 'danger'),
    ];
    this.commandBar = h('div', { class: 'commands', role: 'group', 'aria-label': `${id} 명령 · commands` },
      ...this.commandButtons);
    this.commandResult = h('p', { class: 'goto-result', 'data-testid': `cmd-result-${id}`, 'aria-live': 'polite' });

    this.card = h('article', { class: 'robot-card', 'data-testid': `robot-${id}` },
      h('header', {}, h('h3', { text: id }), this.modeEl),
      h('div', { class: 'battery' },
        h('span', { class: 'label', text: '배터리' }), this.batteryBar, this.batteryVal, this.chargingEl),
      h('dl', { class: 'facts' },
        h('dt', { text: '작업 · Task' }), this.taskEl,
        h('dt', { text: '목적지 · Destination' }), this.destEl,
        h('dt', { text: '현재 장소 · Place' }), this.placeEl,
        h('dt', { text: '위치 · Pose' }), this.poseEl,
        h('dt', { text: '마지막 수신 · Last seen' }), this.seenEl),
      this.errorsEl,
      this.form,
      this.result,
      this.commandBar,
      this.commandResult);
  }

  async command(name) {
    if (name === 'estop' && !window.confirm(L(
      `${this.id} 비상 정지할까요? 운영자가 해제할 때까지 움직이지 않습니다.\n`
      + `E-stop ${this.id}? It will not move until an operator releases it.`))) return;
    setAttr(this.commandResult, 'data-state', 'pending');
    setText(this.commandResult, '보내는 중… · Sending…');
    try {
      const res = await authFetch(`${API}/robots/${encodeURIComponent(this.id)}/commands`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ command: name, reason: 'dashboard' }),
      });
      const payload = await res.json().catch(() => null);
      setAttr(this.commandResult, 'data-state', res.ok ? 'ok' : 'error');
      setText(this.commandResult, res.ok ? `${name}: ${payload?.message ?? 'ok'}` : problemText(payload, res));
    } catch (err) {
      setAttr(this.commandResult, 'data-state', 'error');
      setText(this.commandResult, `요청 실패 · Request failed: ${err?.message ?? err}`);
    }
  }

  /** (Re)fill the place list from the robot's site; keeps the operator's selection if possible. */
  fillPlaces() {
    const site = state.sites.get(this.siteId);
    const previous = this.select.value;
    this.select.replaceChildren();
    if (!site || site.placeById.size === 0) {
      this.select.append(h('option', { value: '', text: '장소 없음 · No places' }));
      this.select.disabled = true;
      this.button.disabled = true;
      return;
    }
    for (const p of site.placeById.values()) {
      const label = p.name_en ? `${p.name_ko} · ${p.name_en}` : String(p.name_ko ?? p.place_id);
      this.select.append(h('option', { value: String(p.place_id), text: label }));
    }
    if (previous && site.placeById.has(previous)) this.select.value = previous;
    this.select.disabled = false;
    this.button.disabled = false;
    this.updateCommandAccess();
  }

  /** Viewers see the controls greyed out: commands need the operator role. */
  updateCommandAccess() {
    const allowed = canCommand();
    const why = allowed ? '' : '운영자 권한이 필요합니다 · Needs the operator role';
    this.button.disabled = !allowed || this.select.disabled;
    this.button.title = why;
    for (const b of this.commandButtons) { b.disabled = !allowed; b.title = why; }
  }

  update(robot) {
    this.data = robot;
    const mode = String(robot.mode ?? '');
    const mi = modeInfo(mode);
    this.offline = mode === 'offline';

    // Test hooks: the latest *reported* values, not the eased drawing position.
    setAttr(this.card, 'data-mode', mode);
    setAttr(this.card, 'data-x', fmt2(robot.x));
    setAttr(this.card, 'data-y', fmt2(robot.y));
    this.card.style.setProperty('--mode-color', mi.color);
    this.card.classList.toggle('offline', this.offline);
    this.card.classList.toggle('alarm', ALARM_MODES.has(mode));
    const stale = isNum(robot.last_seen_s) && robot.last_seen_s > STALE_AFTER_S;
    this.card.classList.toggle('stale', stale);
    setText(this.modeEl, modeLabel(mode));

    const batt = isNum(robot.battery_percent) ? Math.max(0, Math.min(100, robot.battery_percent)) : null;
    this.batteryFill.style.width = `${batt ?? 0}%`;
    this.batteryFill.classList.toggle('low', batt != null && batt < 20);
    this.batteryFill.classList.toggle('mid', batt != null && batt >= 20 && batt < 50);
    setAttr(this.batteryBar, 'aria-valuenow', batt == null ? '' : batt.toFixed(0));
    setText(this.batteryVal, batt == null ? '—' : `${batt.toFixed(batt >= 99.95 ? 0 : 1)}%`);
    this.chargingEl.hidden = !robot.charging;

    const task = robot.current_task_id ? state.tasksById.get(robot.current_task_id) : null;
    if (robot.current_task_id) {
      this.taskEl.replaceChildren(h('span', { class: 'mono', text: robot.current_task_id }),
        task ? ` — ${statusLabel(task.status)}${isNum(task.progress) ? ` ${Math.round(task.progress * 100)}%` : ''}` : '');
    } else {
      setText(this.taskEl, '없음 · none');
    }
    // Destination: the active task's place; falls back to current_place while a task is set.
    const dest = task?.place ?? (robot.current_task_id ? robot.current_place : null);
    setText(this.destEl, dest ? placeLabel(task?.site_id ?? robot.site_id, dest) : '—');
    setText(this.placeEl, robot.current_place ? placeLabel(robot.site_id, robot.current_place) : '—');

    if (isNum(robot.x) && isNum(robot.y)) {
      const deg = isNum(robot.yaw) ? ` · ${Math.round((Math.atan2(Math.sin(robot.yaw), Math.cos(robot.yaw)) * 180) / Math.PI)}°` : '';
      setText(this.poseEl, `x ${robot.x.toFixed(2)}, y ${robot.y.toFixed(2)} m${deg}`);
    } else {
      setText(this.poseEl, '—');
    }
    setText(this.seenEl, formatAgo(robot.last_seen_s) + (stale && !this.offline ? ' ⚠' : ''));
    this.seenEl.classList.toggle('stale-tag', stale && !this.offline);

    const errors = Array.isArray(robot.errors) ? robot.errors : [];
    const errTexts = errors.map((e) => (typeof e === 'string' ? e : (e?.message ?? e?.detail ?? JSON.stringify(e))));
    if (errTexts.join('\n') !== this._errKey) {
      this._errKey = errTexts.join('\n');
      this.errorsEl.replaceChildren(...errTexts.map((t) => h('li', { text: t })));
    }

    // Pose for drawing.
    if (isNum(robot.x) && isNum(robot.y)) {
      this.target = { x: robot.x, y: robot.y, yaw: isNum(robot.yaw) ? robot.yaw : null };
      const far = this.disp && Math.hypot(this.disp.x - robot.x, this.disp.y - robot.y) > SNAP_DISTANCE_M;
      if (!this.disp || far || reduceMotion || !this.shown) this.disp = { ...this.target };
      this.shown = true;
    } else {
      this.shown = false;
    }
  }

  async sendToPlace() {
    const place = this.select.value;
    if (!place) return;
    const body = { type: 'go_to_place', site_id: this.siteId, place, robot_id: this.id };
    this.button.disabled = true;
    setAttr(this.result, 'data-state', 'pending');
    setText(this.result, `요청 중… · Sending… (${placeLabel(this.siteId, place)})`);
    try {
      const res = await authFetch(`${API}/tasks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, application/problem+json' },
        body: JSON.stringify(body),
      });
      let payload = null;
      try { payload = await res.json(); } catch { payload = null; }
      if (res.ok) {
        const id = payload?.task_id ?? '?';
        const st = payload?.status ? ` · ${statusLabel(payload.status)}` : '';
        setAttr(this.result, 'data-state', 'ok');
        setAttr(this.result, 'data-task-id', id);
        setText(this.result, `접수됨 · Accepted: ${id}${st}`);
      } else {
        setAttr(this.result, 'data-state', 'error');
        this.result.removeAttribute('data-task-id');
        setText(this.result, problemText(payload, res));
      }
    } catch (err) {
      setAttr(this.result, 'data-state', 'error');
      this.result.removeAttribute('data-task-id');
      setText(this.result, `요청 실패 · Request failed: ${err?.message ?? err}`);
    } finally {
      this.button.disabled = this.select.disabled;
    }
  }
}

/** Human text for an RFC 9457 problem-details response (detail first, then suggestions). */
function problemText(problem, res) {
  let text = problem?.detail || problem?.title || `HTTP ${res.status} ${res.statusText || ''}`.trim();
  const sugg = Array.isArray(problem?.suggestions) ? problem.suggestions : [];
  if (sugg.length) {
    const names = sugg.map((s) => (typeof s === 'string' ? s : (s?.place_id ?? s?.name_ko ?? JSON.stringify(s))));
    text += ` — 혹시 · Did you mean: ${names.join(', ')}`;
  }
  return `오류 · Error: ${text}`;
}

// ------------------------------------------------------------------ task detail

async function showTaskDetail(taskId) {
  const dialog = document.getElementById('task-detail');
  const body = document.getElementById('task-detail-body');
  setText(document.getElementById('task-detail-title'), taskId);
  body.replaceChildren(h('p', { text: '불러오는 중… · Loading…' }));
  if (!dialog.open) dialog.showModal();
  try {
    const task = await fetchJson(`${API}/tasks/${encodeURIComponent(taskId)}`);
    const place = placeLabel(task.site_id, task.place);
    body.replaceChildren(
      h('dl', { class: 'facts' },
        h('dt', { text: '종류 · Type' }), h('dd', { text: `${TASK_TYPES[task.type] ?? ''} ${task.type}` }),
        h('dt', { text: '장소 · Place' }), h('dd', { text: place }),
        h('dt', { text: '로봇 · Robot' }), h('dd', { text: task.robot_id || '—' }),
        h('dt', { text: '상태 · Status' }), h('dd', { text: statusLabel(task.status) }),
        h('dt', { text: '요청자 · Requester' }), h('dd', { text: task.requester || '—' })),
      h('h3', { text: '이력 · History' }),
      h('ol', { class: 'history', 'data-testid': 'task-history' },
        ...task.history.map((e) => h('li', { 'data-status': e.status },
          h('span', { class: 'mono', text: formatClock(e.at) }), ' ',
          h('strong', { text: statusLabel(e.status) }),
          e.robot_id ? ` · ${e.robot_id}` : '', e.message ? ` — ${e.message}` : ''))));
  } catch (err) {
    body.replaceChildren(h('p', { text: `불러오지 못했습니다 · Could not load: ${err.message}` }));
  }
}

// ------------------------------------------------------------------ alerts
//
// Unacknowledged alerts are polled every 2 s. A new one flashes the panel and beeps (Web
// Audio: no sound file to fetch); the sound can be muted. Operators acknowledge each one.

const alertsSeen = new Set();
let alertsMuted = localStorage.getItem('suwon.alertsMuted') === '1';
let audioCtx = null;

function beep() {
  if (alertsMuted) return;
  try {
    audioCtx ??= new AudioContext();
    const osc = audioCtx.createOscillator();
    const gain = audioCtx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audioCtx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audioCtx.currentTime + 0.6);
    osc.connect(gain).connect(audioCtx.destination);
    osc.start();
    osc.stop(audioCtx.currentTime + 0.6);
  } catch { /* no audio device: the visual signal remains */ }
}

async function refreshAlerts() {
  let alerts;
  try { alerts = await fetchJson(`${API}/alerts?unacknowledged=true`); } catch { return; }
  const list = document.getElementById('alerts');
  const panel = document.getElementById('alerts-panel');
  let fresh = false;
  list.replaceChildren(...alerts.map((a) => {
    if (!alertsSeen.has(a.alert_id)) { alertsSeen.add(a.alert_id); fresh = true; }
    const ack = h('button', { type: 'button', class: 'cmd', 'data-testid': `ack-${a.alert_id}`,
      text: '확인 · Acknowledge', disabled: !canCommand(),
      onclick: async () => {
        ack.disabled = true;
        const res = await authFetch(`${API}/alerts/${encodeURIComponent(a.alert_id)}/acknowledge`, { method: 'POST' });
        if (res.ok || res.status === 409) refreshAlerts(); else ack.disabled = false;
      } });
    return h('li', { class: `alert ${a.severity}`, 'data-testid': `alert-${a.alert_id}`, 'data-code': a.code },
      h('span', { class: 'mono', text: formatClock(a.at) }), ' ',
      h('strong', { text: a.message_ko }), h('span', { class: 'en', text: ` · ${a.message_en}` }),
      a.robot_id ? h('span', { class: 'sub', text: ` ${a.robot_id}` }) : null, ack);
  }));
  setText(document.getElementById('alerts-count'), alerts.length ? `${alerts.length}` : '');
  setAttr(panel, 'data-count', String(alerts.length));
  document.getElementById('alerts-empty').hidden = alerts.length > 0;
  if (fresh) {
    panel.classList.remove('flash');
    void panel.offsetWidth;  // restart the animation
    panel.classList.add('flash');
    beep();
  }
}

async function refreshRecent() {
  let page;
  try { page = await fetchJson(`${API}/tasks?active=false&limit=8`); } catch { return; }
  document.getElementById('recent').replaceChildren(...page.items.map((t) =>
    h('li', { 'data-testid': `recent-${t.task_id}`, class: 'clickable', tabindex: 0,
      onclick: () => showTaskDetail(t.task_id),
      onkeydown: (ev) => { if (ev.key === 'Enter') showTaskDetail(t.task_id); } },
      h('span', { class: 'mono', text: formatClock(t.updated_at) }), ' ',
      h('span', { class: `status-badge ${TASK_STATUS[t.status]?.cls ?? ''}`, text: statusLabel(t.status) }), ' ',
      `${TASK_TYPES[t.type] ?? t.type} · ${placeLabel(t.site_id, t.place)} · ${t.robot_id || '—'}`)));
}

// ------------------------------------------------------------------ official calls

const CALL_STATUS = {
  pending: '접수 · pending', delivered: '전달됨 · delivered', accepted: '수락 · accepted',
  declined: '거절 · declined', arrived: '도착 · arrived', closed: '종료 · closed',
  failed: '실패 · failed', cancelled: '취소 · cancelled',
};
const OPEN_CALLS = ['pending', 'delivered', 'accepted', 'arrived'];

async function refreshCalls() {
  let page;
  const query = OPEN_CALLS.map((s) => `status=${s}`).join('&');
  try { page = await fetchJson(`${API}/calls?${query}&limit=50`); } catch { return; }
  const now = Date.now();
  document.getElementById('calls').replaceChildren(...page.items.map((c) => {
    const waited = Math.max(0, Math.round((now - Date.parse(c.created_at)) / 60000));
    const who = c.official_name
      ? `${c.official_name}${c.eta_minutes != null ? ` · ${c.eta_minutes}분 후 · in ${c.eta_minutes} min` : ''}`
      : '';
    return h('li', { class: `call ${c.status} ${c.priority}`, 'data-testid': `call-${c.call_id}`, 'data-status': c.status },
      h('span', { class: 'status-badge', text: CALL_STATUS[c.status] ?? c.status }), ' ',
      h('strong', { text: c.topic?.text ?? '' }),
      h('span', { class: 'sub', text: ` ${c.robot_id} · ${placeLabel(c.site_id, c.place_id)} · ${waited}분 대기 · waiting ${waited} min` }),
      who ? h('span', { class: 'who', text: ` → ${who}` }) : null);
  }));
  document.getElementById('calls-empty').hidden = page.items.length > 0;
}

function setupAlerts() {
  const mute = document.getElementById('alerts-mute');
  const label = () => setText(mute, alertsMuted ? '🔇 소리 켜기 · Unmute' : '🔔 소리 끄기 · Mute');
  label();
  mute.addEventListener('click', () => {
    alertsMuted = !alertsMuted;
    localStorage.setItem('suwon.alertsMuted', alertsMuted ? '1' : '0');
    label();
  });
  refreshAlerts();
  setInterval(refreshAlerts, 2000);
  refreshRecent();
  setInterval(refreshRecent, 3000);
  refreshCalls();
  setInterval(refreshCalls, 3000);
}

// ------------------------------------------------------------------ tasks table

function taskRow(task) {
  const id = String(task.task_id);
  let row = state.taskRows.get(id);
  if (!row) {
    const cells = {
      id: h('td', { class: 'mono', text: id }),
      type: h('td'),
      place: h('td'),
      robot: h('td', { class: 'mono' }),
      status: h('span', { class: 'status-badge' }),
      fill: h('div', { class: 'bar-fill' }),
      pct: h('span', { class: 'val' }),
      // A tour's live line from its tour guide: "2/5 허브정원 · Herb garden, 12 min left".
      note: h('span', { class: 'sub tour-progress', 'data-testid': `task-note-${id}` }),
    };
    cells.tr = h('tr', { 'data-testid': `task-${id}`, class: 'clickable', tabindex: 0,
      title: '눌러서 이력 보기 · Click for history',
      onclick: () => showTaskDetail(id),
      onkeydown: (ev) => { if (ev.key === 'Enter') showTaskDetail(id); } },
      cells.id, cells.type, cells.place, cells.robot,
      h('td', {}, cells.status),
      h('td', {}, h('div', { class: 'progress' }, h('div', { class: 'bar' }, cells.fill), cells.pct),
        cells.note));
    row = cells;
    state.taskRows.set(id, row);
  }
  setAttr(row.tr, 'data-status', task.status ?? '');

  const typeKo = TASK_TYPES[task.type];
  row.type.replaceChildren(typeKo ?? String(task.type ?? '—'),
    typeKo ? h('span', { class: 'sub', text: task.type }) : null);

  const p = placeOf(task.site_id, task.place);
  row.place.replaceChildren(
    p ? String(p.name_ko ?? task.place) : String(task.place ?? '—'),
    h('span', { class: 'sub', text: [p?.name_en, task.site_id].filter(Boolean).join(' · ') }));

  setText(row.robot, task.robot_id ?? '—');
  setText(row.status, statusLabel(task.status));
  row.status.className = `status-badge ${TASK_STATUS[task.status]?.cls ?? ''}`.trim();
  if (task.message) setAttr(row.status, 'title', task.message); else row.status.removeAttribute('title');

  const prog = isNum(task.progress) ? Math.max(0, Math.min(1, task.progress)) : null;
  row.fill.style.width = `${prog == null ? 0 : prog * 100}%`;
  setText(row.pct, prog == null ? '—' : `${Math.round(prog * 100)}%`);
  const touring = task.type === 'run_tour' && task.status === 'underway' && task.message;
  setText(row.note, touring ? String(task.message) : '');
  row.note.hidden = !touring;
  return row.tr;
}

function renderTasks(tasks) {
  const body = document.getElementById('tasks');
  const seen = new Set();
  const rows = [];
  for (const t of tasks) {
    if (t?.task_id == null) continue;
    seen.add(String(t.task_id));
    rows.push(taskRow(t));
  }
  for (const [id, row] of state.taskRows) {
    if (!seen.has(id)) { row.tr.remove(); state.taskRows.delete(id); }
  }
  // Re-append in server order (moves existing nodes; no rebuild).
  rows.forEach((tr, i) => { if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null); });
  document.getElementById('tasks-empty').hidden = rows.length > 0;
  setText(document.getElementById('tasks-count'), `${rows.length}건 · ${rows.length} task${rows.length === 1 ? '' : 's'}`);
}

// ------------------------------------------------------------------ applying fleet state

function applyFleetState(fleet) {
  if (!fleet || typeof fleet !== 'object') return;
  state.fleet = fleet;
  window.__fleetState = fleet;

  const tasks = Array.isArray(fleet.active_tasks) ? fleet.active_tasks : [];
  state.tasksById = new Map(tasks.filter((t) => t?.task_id != null).map((t) => [String(t.task_id), t]));

  const robots = Array.isArray(fleet.robots) ? fleet.robots : [];
  const seen = new Set();
  for (const robot of robots) {
    if (robot?.robot_id == null) continue;
    const id = String(robot.robot_id);
    seen.add(id);
    let rv = state.robots.get(id);
    if (!rv) { rv = new RobotView(id); state.robots.set(id, rv); }
    placeRobot(rv, robot.site_id == null ? null : String(robot.site_id));
    rv.update(robot);
    const site = state.sites.get(rv.siteId);
    if (site) site.dirty = true;
  }
  for (const [id, rv] of state.robots) {
    if (seen.has(id)) continue;
    state.sites.get(rv.siteId)?.robotIds.delete(id);
    state.sites.get(rv.siteId)?.updateCount();
    const site = state.sites.get(rv.siteId);
    if (site) site.dirty = true;
    rv.card.remove();
    state.robots.delete(id);
  }

  renderTasks(tasks);
  if (fleet.visitors && typeof fleet.visitors === 'object') {
    for (const site of state.sites.values()) if (site.id in fleet.visitors) site.dirty = true;
  }

  const n = state.robots.size;
  const offline = [...state.robots.values()].filter((r) => r.offline).length;
  setText(document.getElementById('summary'),
    `로봇 ${n}대${offline ? ` (오프라인 ${offline})` : ''} · 작업 ${tasks.length}건 — ` +
    `${n} robot${n === 1 ? '' : 's'}${offline ? ` (${offline} offline)` : ''}, ${tasks.length} active task${tasks.length === 1 ? '' : 's'}` +
    (fleet.fleet_name ? ` · fleet ${fleet.fleet_name}` : ''));
  const clock = formatClock(fleet.stamp);
  setText(document.getElementById('updated'), clock ? `갱신 · Updated ${clock}` : '');
}

/** Put the robot's card into its site's panel (moving it if the robot changed site). */
function placeRobot(rv, siteId) {
  const site = state.sites.get(siteId);
  const list = site ? site.listEl : otherPanel().listEl;
  if (rv.siteId === siteId && rv.card.parentNode === list) return;
  const old = state.sites.get(rv.siteId);
  if (old) { old.robotIds.delete(rv.id); old.updateCount(); old.dirty = true; }
  rv.siteId = siteId;
  if (site) {
    site.robotIds.add(rv.id);
    site.updateCount();
    site.dirty = true;
  }
  list.append(rv.card);
  rv.fillPlaces();
}

// ------------------------------------------------------------------ animation loop

let lastFrame = performance.now();

function frame(now) {
  const dt = Math.min(0.25, Math.max(0, (now - lastFrame) / 1000));
  lastFrame = now;
  const a = 1 - Math.exp(-dt / EASE_TAU_S);
  for (const rv of state.robots.values()) {
    if (!rv.shown || !rv.target || !rv.disp) continue;
    const dx = rv.target.x - rv.disp.x, dy = rv.target.y - rv.disp.y;
    let dyaw = 0;
    if (rv.target.yaw != null && rv.disp.yaw != null) {
      dyaw = Math.atan2(Math.sin(rv.target.yaw - rv.disp.yaw), Math.cos(rv.target.yaw - rv.disp.yaw));
    } else {
      rv.disp.yaw = rv.target.yaw;
    }
    if (Math.abs(dx) < 1e-3 && Math.abs(dy) < 1e-3 && Math.abs(dyaw) < 1e-3) {
      if (rv.disp.x !== rv.target.x || rv.disp.y !== rv.target.y || rv.disp.yaw !== rv.target.yaw) {
        rv.disp = { ...rv.target };
        const s = state.sites.get(rv.siteId); if (s) s.dirty = true;
      }
      continue;
    }
    rv.disp.x += dx * a;
    rv.disp.y += dy * a;
    if (rv.disp.yaw != null) rv.disp.yaw += dyaw * a;
    const s = state.sites.get(rv.siteId);
    if (s) s.dirty = true;
  }
  for (const s of state.sites.values()) if (s.dirty) s.draw();
  requestAnimationFrame(frame);
}

// ------------------------------------------------------------------ WebSocket with backoff

const wsStatus = document.getElementById('ws-status');
let ws = null;
let backoff = BACKOFF_MIN_MS;
let reconnectAt = 0;
let reconnectTimer = null;
let countdownTimer = null;
let pollTimer = null;

function setWsStatus(kind) {
  wsStatus.dataset.state = kind;
  setAttr(wsStatus, 'data-connected', kind === 'connected' ? 'true' : 'false');
  if (kind === 'connected') {
    setText(wsStatus, '연결됨 · Connected');
  } else if (kind === 'connecting') {
    setText(wsStatus, '연결 중… · Connecting…');
  } else {
    const secs = Math.max(0, Math.ceil((reconnectAt - Date.now()) / 1000));
    setText(wsStatus, secs > 0
      ? `연결 끊김 · Disconnected — ${secs}초 후 재연결 · reconnecting in ${secs} s`
      : '연결 끊김 · Disconnected — 재연결 중 · reconnecting…');
  }
}

function connect() {
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${API}/fleet/ws`;
  let socket;
  try {
    socket = new WebSocket(url, ['bearer', auth.token]);
  } catch (err) {
    console.warn('WebSocket failed to start', err);
    scheduleReconnect();
    return;
  }
  ws = socket;
  if (!state.wsConnected) setWsStatus(reconnectAt ? 'disconnected' : 'connecting');

  socket.addEventListener('open', () => {
    if (ws !== socket) return;
    state.wsConnected = true;
    backoff = BACKOFF_MIN_MS;
    reconnectAt = 0;
    clearInterval(countdownTimer);
    stopPolling();
    setWsStatus('connected');
  });
  socket.addEventListener('message', (ev) => {
    if (ws !== socket) return;
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg?.type === 'fleet_state') applyFleetState(msg.data);
  });
  socket.addEventListener('close', () => {
    if (ws !== socket) return;
    ws = null;
    state.wsConnected = false;
    scheduleReconnect();
  });
  socket.addEventListener('error', () => { /* 'close' follows and handles reconnection */ });
}

function scheduleReconnect() {
  if (reconnectTimer) return;
  const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
  backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
  reconnectAt = Date.now() + delay;
  setWsStatus('disconnected');
  clearInterval(countdownTimer);
  countdownTimer = setInterval(() => { if (!state.wsConnected) setWsStatus('disconnected'); }, 1000);
  reconnectTimer = setTimeout(connect, delay);
  startPolling();
}

// While the socket is down, keep the picture roughly current over plain HTTP.
function startPolling() {
  if (pollTimer) return;
  pollTimer = setInterval(pollOnce, POLL_INTERVAL_MS);
}
function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}
async function pollOnce() {
  try {
    const fleet = await fetchJson(`${API}/fleet`);
    if (!state.wsConnected) applyFleetState(fleet);
  } catch { /* server down: the status pill already says so */ }
}

// ------------------------------------------------------------------ start-up

function buildLegend() {
  const legend = document.getElementById('legend');
  legend.replaceChildren(...Object.entries(MODES).map(([mode, m]) =>
    h('span', { class: 'legend-item', style: `--c: ${m.color}` },
      h('span', { class: 'legend-dot' }), `${m.ko} · ${mode}`)),
    h('span', { class: 'legend-item', style: '--c: rgb(217, 119, 6)' },
      h('span', { class: 'legend-dot' }), '방문객 (시뮬레이션) · visitors (simulation)'));
}

async function loadSites() {
  for (let attempt = 0; ; attempt++) {
    try {
      const sites = await fetchJson(`${API}/sites`);
      if (!Array.isArray(sites)) throw new Error('/sites did not return a list');
      showBanner(null);
      return sites;
    } catch (err) {
      console.warn(err);
      showBanner(`사이트 정보를 불러오지 못했습니다. 다시 시도하는 중… · Could not load sites (${err.message}); retrying…`);
      await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * 2 ** attempt)));
    }
  }
}

function buildSites(sites) {
  const container = document.getElementById('sites');
  document.getElementById('sites-loading')?.remove();
  for (const site of sites) {
    if (site?.site_id == null) continue;
    const view = new SiteView(site);
    state.sites.set(view.id, view);
    view.updateCount();
    container.append(view.panel);
  }
  if (state.otherPanel) container.append(state.otherPanel.panel);   // keep "unknown" last
  window.addEventListener('resize', () => { for (const s of state.sites.values()) s.resize(); });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  localiseStatic();
  const langButton = document.getElementById('lang');
  langButton.textContent = ENGLISH ? '한국어 · Korean' : 'English';
  langButton.addEventListener('click', () => {
    localStorage.setItem(LANG_KEY, ENGLISH ? 'ko' : 'en');
    location.reload();  // every label is drawn again in the other language
  });
  document.getElementById('login-form').addEventListener('submit', logIn);
  document.getElementById('logout').addEventListener('click', () => forgetLogin(''));
  showUser();
  if (!loggedIn()) showLogin('');
  await whenLoggedIn();
  buildLegend();
  setupAlerts();
  document.getElementById('task-detail-close').addEventListener('click',
    () => document.getElementById('task-detail').close());
  requestAnimationFrame(frame);
  setWsStatus('connecting');
  // Sites first (so cards land in the right panels), but do not hold the live view hostage
  // to /sites: after a few seconds connect anyway and re-home the cards when sites arrive.
  const sitesReady = loadSites().then((sites) => {
    buildSites(sites);
    if (state.fleet) applyFleetState(state.fleet);
    if (state.otherPanel && state.otherPanel.listEl.children.length === 0) {
      state.otherPanel.panel.remove();
      state.otherPanel = null;
    }
  });
  await Promise.race([sitesReady, sleep(4000)]);
  try {
    const fleet = await fetchJson(`${API}/fleet`);
    if (!state.fleet) applyFleetState(fleet);
  } catch (err) { console.warn(err); }
  connect();
}

main();
