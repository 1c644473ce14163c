// Workload statistics: GET /api/v1/stats drawn as SVG bar charts (no chart library, no
// build step). Uses the dashboard's login (sessionStorage); without one, go and log in there.
const API = '/api/v1';
const token = sessionStorage.getItem('suwon.token');
if (!token) location.replace('./');

const SVG = 'http://www.w3.org/2000/svg';
// What visitors asked for (concierge intents; "search": answered from the civil-service search).
const INTENT_KO = {
  where_is: '위치 문의', take_me_to: '길 안내 요청', service_requirements: '민원 준비물', who_handles: '담당 부서',
  call_official: '공무원 호출', opening_hours: '운영 시간', facility: '편의시설', repeat: '다시 말하기',
  speak_slower: '천천히', goodbye: '작별 인사', greeting: '인사', affirm: '네', deny: '아니요',
  search: '검색 답변', unknown: '이해 못 함',
};
const TYPE_KO = { go_to_place: '장소 이동', guide_visitor: '길 안내', run_tour: '해설 투어', dock: '충전', call_official: '공무원 호출' };

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = String(text);
  return e;
}

/** Vertical bars with their values on top; labels under each bar. */
function barChart(el, rows, label) {
  const width = Math.max(320, rows.length * 46), height = 220, base = 180, top = 20;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'bars' });
  rows.forEach((r, i) => {
    const w = width / rows.length, x = i * w + w * 0.15, bw = w * 0.7;
    const hgt = ((base - top) * r.count) / max;
    chart.append(svg('rect', { x, y: base - hgt, width: bw, height: hgt, rx: 3, 'data-value': r.count }));
    chart.append(svg('text', { x: x + bw / 2, y: base - hgt - 4, 'text-anchor': 'middle', class: 'value' }, r.count));
    chart.append(svg('text', { x: x + bw / 2, y: base + 16, 'text-anchor': 'middle', class: 'label' }, r.label));
  });
  el.replaceChildren(chart);
  if (!rows.length) el.replaceChildren(Object.assign(document.createElement('p'), { className: 'empty', textContent: '자료 없음 · No data' }));
}

async function load() {
  const days = document.getElementById('days').value;
  const res = await fetch(`${API}/stats?days=${days}`, { headers: { Authorization: `Bearer ${token}` } });
  if (res.status === 401) { location.replace('./'); return; }
  const banner = document.getElementById('banner');
  if (!res.ok) { banner.hidden = false; banner.textContent = `통계를 불러오지 못했습니다 · Could not load statistics (HTTP ${res.status})`; return; }
  banner.hidden = true;
  const stats = await res.json();
  const total = stats.tasks_per_day.reduce((n, d) => n + d.count, 0);
  const mean = stats.mean_task_seconds == null ? '—' : `${Math.round(stats.mean_task_seconds)} s`;
  document.getElementById('summary').textContent =
    `최근 ${stats.days}일 작업 ${total}건 · ${total} tasks in ${stats.days} days — 평균 완료 시간 · mean time to complete: ${mean}`;
  const byDay = (list) => list.map((d) => ({ label: d.day.slice(5), count: d.count }));
  barChart(document.getElementById('chart-tasks'), byDay(stats.tasks_per_day), 'tasks per day');
  barChart(document.getElementById('chart-alerts'), byDay(stats.alerts_per_day), 'alerts per day');
  barChart(document.getElementById('chart-interactions'), byDay(stats.interactions_per_day), 'interactions per day');
  barChart(document.getElementById('chart-intents'), Object.entries(stats.intents)
    .sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ label: INTENT_KO[k] ?? k, count: n })), 'intents');
  barChart(document.getElementById('chart-calls'), byDay(stats.calls_per_day), 'official calls per day');
  document.getElementById('official-wait').textContent = stats.mean_official_wait_s == null
    ? '평균 대기 · mean wait: —'
    : `평균 대기 · mean wait for an official: ${Math.round(stats.mean_official_wait_s / 60 * 10) / 10} min`;
  barChart(document.getElementById('chart-ratings'), Object.entries(stats.tour_ratings)
    .map(([k, n]) => ({ label: k, count: n })), 'tour ratings');
  barChart(document.getElementById('chart-types'), Object.entries(stats.tasks_by_type)
    .map(([k, n]) => ({ label: TYPE_KO[k] ?? k, count: n })), 'tasks by type');
  barChart(document.getElementById('chart-status'), Object.entries(stats.tasks_by_status)
    .map(([k, n]) => ({ label: k, count: n })), 'tasks by status');
}

document.getElementById('days').addEventListener('change', load);
load();
