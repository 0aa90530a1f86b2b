// simdeck steering dashboard: plain browser JavaScript, served by the job's steering server
// (no build step, no CDN). Talks to the server over one WebSocket: sends commands, shows the
// live status, the parameter form built from the schema, plots, metric panels and the log.
// Everything from the server is shown with textContent (never parsed as HTML).

const token = document.querySelector('meta[name="simdeck-token"]').content;
const $ = (id) => document.getElementById(id);

let socket = null;
let nextId = 1;
const pending = new Map(); // id -> description of the command
let params = [];
let lastStatus = null;
const localLog = [];

function fmt(x, digits = 4) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (typeof x !== 'number') return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e5 || a < 1e-3 ? x.toExponential(digits - 1) : String(Number(x.toPrecision(digits)));
}

function seconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function note(text, isError = false) {
  const p = $('last-reply');
  p.textContent = text;
  p.classList.toggle('error', isError);
  localLog.push(`${new Date().toLocaleTimeString()} ${isError ? 'error: ' : ''}${text}`);
  if (localLog.length > 50) localLog.shift();
  renderLog();
}

function command(cmd, what) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return note('not connected', true);
  const id = nextId++;
  pending.set(id, what);
  socket.send(JSON.stringify({ id, command: cmd }));
}

function renderStatus(s) {
  lastStatus = s;
  $('step').textContent = String(s.step);
  $('time').textContent = fmt(s.time);
  $('dt').textContent = fmt(s.dt);
  $('rate').textContent = fmt(s.stepsPerSecond, 3);
  $('eta').textContent = s.eta === null ? '–' : seconds(s.eta);
  $('wall').textContent = seconds(s.wall);
  const state = $('state');
  state.textContent = s.state;
  state.className = `badge ${s.state}`;
  const done = s.state === 'finished' || s.state === 'stopping';
  $('pause').disabled = done || s.state === 'paused';
  $('resume').disabled = done || s.state !== 'paused';
  for (const id of ['step-btn', 'stop', 'checkpoint']) $(id).disabled = done;
  for (const p of params) {
    const shown = document.querySelector(`[data-current="${CSS.escape(p.name)}"]`);
    if (shown && s.params && p.name in s.params) shown.textContent = `now ${fmt(s.params[p.name], 6)}${p.unit ? ' ' + p.unit : ''}`;
  }
  const body = $('timers').tBodies[0];
  body.replaceChildren(...(s.timers || []).map((t) => {
    const tr = document.createElement('tr');
    const perCall = t.calls > 0 ? t.mean / t.calls : null;
    const per = perCall === null ? '–' : perCall < 1e-3 ? `${fmt(perCall * 1e6, 3)} µs` : perCall < 1 ? `${fmt(perCall * 1e3, 3)} ms` : `${fmt(perCall, 3)} s`;
    for (const v of [t.name, t.calls, fmt(t.min, 3), fmt(t.mean, 3), fmt(t.max, 3), per]) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    return tr;
  }));
  renderLog();
}

function renderLog() {
  const lines = [...(lastStatus && lastStatus.log ? lastStatus.log : []), ...localLog.map((l) => `# ${l}`)];
  const log = $('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = lines.join('\n');
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function inputFor(p) {
  let input;
  if (p.type === 'boolean') {
    input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = Boolean(p.value);
  } else if (p.type === 'string' && p.choices && p.choices.length > 0) {
    input = document.createElement('select');
    for (const c of p.choices) {
      const o = document.createElement('option');
      o.value = c;
      o.textContent = c;
      input.append(o);
    }
    input.value = String(p.value);
  } else if (p.type === 'string') {
    input = document.createElement('input');
    input.type = 'text';
    input.value = String(p.value);
  } else {
    input = document.createElement('input');
    input.type = 'number';
    input.step = p.type === 'integer' ? '1' : 'any';
    if (p.min !== undefined) input.min = String(p.min);
    if (p.max !== undefined) input.max = String(p.max);
    input.value = String(p.value);
  }
  input.id = `param-${p.name}`;
  input.dataset.param = p.name;
  return input;
}

function valueOf(p, input) {
  if (p.type === 'boolean') return input.checked;
  if (p.type === 'string') return input.value;
  if (input.value.trim() === '') return null;
  return Number(input.value);
}

function renderParams(list) {
  params = list;
  const form = $('params');
  form.replaceChildren();
  if (list.length === 0) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = 'This run has no steerable parameters.';
    form.append(p);
    return;
  }
  for (const p of list) {
    const row = document.createElement('div');
    row.className = 'param';
    const label = document.createElement('label');
    label.htmlFor = `param-${p.name}`;
    label.textContent = p.name;
    const input = inputFor(p);
    const apply = document.createElement('button');
    apply.type = 'submit';
    apply.textContent = 'Set';
    apply.id = `set-${p.name}`;
    apply.addEventListener('click', (e) => {
      e.preventDefault();
      const value = valueOf(p, input);
      if (value === null || (typeof value === 'number' && !Number.isFinite(value))) return note(`${p.name}: enter a number`, true);
      command({ kind: 'set', name: p.name, value }, `set ${p.name}=${value}`);
    });
    const hint = document.createElement('span');
    hint.className = 'hint';
    const range = p.min !== undefined || p.max !== undefined ? ` in [${p.min ?? '−∞'}, ${p.max ?? '∞'}]` : '';
    const current = document.createElement('span');
    current.dataset.current = p.name;
    hint.textContent = `${p.type}${range}${p.unit ? ' ' + p.unit : ''}${p.description ? ' — ' + p.description : ''} · `;
    hint.append(current);
    row.append(label, input, apply, hint);
    form.append(row);
  }
  if (lastStatus) renderStatus(lastStatus);
}

/** The element of one named item in a box (created by `build` the first time); the "nothing yet" line goes. */
function slot(boxId, tag, key, name, build) {
  const box = $(boxId);
  box.querySelector('.empty')?.remove();
  let el = box.querySelector(`${tag}[data-${key}="${CSS.escape(name)}"]`);
  if (!el) {
    el = document.createElement(tag);
    el.dataset[key] = name;
    build(el);
    box.append(el);
  }
  return el;
}

function showPlot(m) {
  const fig = slot('plots', 'figure', 'plot', m.name, (f) => {
    const img = document.createElement('img');
    img.alt = m.name;
    f.append(img, document.createElement('figcaption'));
  });
  fig.querySelector('img').src = m.src;
  fig.querySelector('figcaption').textContent = `${m.name} · step ${m.step} · t = ${fmt(m.time)}`;
}

function showMetrics(m) {
  const panel = slot('metrics', 'div', 'panel', m.panel, (p) => {
    p.className = 'panel';
    const h = document.createElement('h3');
    h.textContent = m.panel;
    p.append(h, document.createElement('table'));
  });
  panel.querySelector('table').replaceChildren(...Object.entries(m.values).map(([k, v]) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    a.textContent = k;
    const b = document.createElement('td');
    b.textContent = typeof v === 'number' ? fmt(v, 5) : v;
    tr.append(a, b);
    return tr;
  }));
}

function onMessage(event) {
  let m;
  try { m = JSON.parse(event.data); } catch { return; }
  switch (m.type) {
    case 'hello':
      document.title = `${m.title} · simdeck`;
      renderParams(m.params || []);
      if (m.status) renderStatus(m.status);
      for (const p of m.plots || []) showPlot(p);
      for (const p of m.metrics || []) showMetrics(p);
      break;
    case 'status': renderStatus(m.status); break;
    case 'params': renderParams(m.params); break;
    case 'plot': showPlot(m); break;
    case 'metrics': showMetrics(m); break;
    case 'reply': {
      const r = m.reply;
      const what = pending.get(r.id) ?? `request ${r.id}`;
      pending.delete(r.id);
      if (r.ok) {
        const text = (a) => (typeof a === 'string' ? a : a && typeof a.error === 'string' ? `error: ${a.error}` : JSON.stringify(a));
        const answers = r.answers ? ` → ${r.answers.map((a, i) => `[${i}] ${text(a)}`).join(' ')}` : '';
        note(`${what}: done at step ${r.step} (#${r.seq})${answers}`);
      } else {
        note(`${what}: ${r.error}`, true);
      }
      break;
    }
    case 'error': {
      const what = m.id !== null && pending.has(m.id) ? pending.get(m.id) : 'request';
      if (m.id !== null) pending.delete(m.id);
      note(`${what}: ${m.error}`, true);
      break;
    }
  }
}

function connect() {
  socket = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
  $('connection').textContent = 'connecting…';
  socket.addEventListener('open', () => { $('connection').textContent = 'connected'; });
  socket.addEventListener('message', onMessage);
  socket.addEventListener('close', (e) => {
    $('connection').textContent = e.code === 1001 ? 'job finished' : 'disconnected';
    if (lastStatus && e.code === 1001) {
      const s = $('state');
      s.textContent = 'finished';
      s.className = 'badge finished';
    }
    for (const id of ['pause', 'resume', 'step-btn', 'stop', 'checkpoint']) $(id).disabled = true;
    if (e.code !== 1001) setTimeout(connect, 1000);
  });
}

$('pause').addEventListener('click', () => command({ kind: 'pause' }, 'pause'));
$('resume').addEventListener('click', () => command({ kind: 'resume' }, 'resume'));
$('stop').addEventListener('click', () => command({ kind: 'stop' }, 'stop'));
$('checkpoint').addEventListener('click', () => command({ kind: 'checkpoint' }, 'checkpoint'));
$('step-btn').addEventListener('click', () => {
  const n = Number($('step-count').value);
  if (!Number.isInteger(n) || n < 1) return note('step: enter a whole number of steps', true);
  command({ kind: 'step', count: n }, `step ${n}`);
});
connect();
