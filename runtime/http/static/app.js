// ordernode live page: follows /ws, keeps three areas, counters and a throughput chart.
'use strict';

const maxCards = 200;
const finalStates = new Set(['completed', 'failed', 'rejected', 'dead_letter']);
const counts = { completed: 0, failed: 0, rejected: 0 };
const perSecond = new Array(60).fill(0);
let currentSecond = Math.floor(Date.now() / 1000);
const cards = new Map();  // order id -> <li>

const $ = (id) => document.getElementById(id);

function area(state) {
  if (state === 'completed') return $('completed');
  if (finalStates.has(state)) return $('failed');
  return $('in-progress');
}

function render(card, c) {
  card.textContent = '';
  const state = document.createElement('span');
  state.className = 'state';
  state.textContent = c.state;
  card.appendChild(state);
  const title = document.createElement('span');
  title.textContent = `${c.productName || '?'} ×${c.quantity ?? '?'} · ${c.region || '?'} · ${c.customer || ''} `;
  card.appendChild(title);
  if (c.vip) {
    const vip = document.createElement('span');
    vip.className = 'vip';
    vip.textContent = 'VIP ';
    card.appendChild(vip);
  }
  const id = document.createElement('span');
  id.className = 'id';
  id.textContent = c.id;
  card.appendChild(document.createElement('br'));
  card.appendChild(id);
  if (finalStates.has(c.state) && c.state !== 'completed' && c.detail) {
    const cause = document.createElement('span');
    cause.className = 'cause';
    cause.textContent = c.detail;
    card.appendChild(cause);
  }
}

function trim(list) {
  while (list.children.length > maxCards) {
    const last = list.lastElementChild;
    cards.delete(last.dataset.id);
    last.remove();
  }
}

function tick(now) {
  const second = Math.floor(now / 1000);
  while (currentSecond < second) {
    perSecond.shift();
    perSecond.push(0);
    currentSecond++;
  }
}

function apply(c) {
  let card = cards.get(c.id);
  const known = card ? card.dataset : null;
  const merged = Object.assign({}, known ? JSON.parse(known.info) : {}, c);
  if (!card) {
    card = document.createElement('li');
    card.dataset.id = c.id;
    cards.set(c.id, card);
  }
  card.dataset.info = JSON.stringify(merged);
  card.dataset.state = c.state;
  render(card, merged);
  const target = area(c.state);
  if (card.parentElement !== target) {
    target.prepend(card);
    trim(target);
  }
  if (finalStates.has(c.state)) {
    const key = c.state === 'dead_letter' ? 'failed' : c.state;
    counts[key] = (counts[key] || 0) + 1;
    tick(Date.now());
    perSecond[perSecond.length - 1]++;
  }
}

function showCounts() {
  $('count-in-progress').textContent = $('in-progress').children.length;
  $('count-completed').textContent = counts.completed;
  $('count-failed').textContent = counts.failed;
  $('count-rejected').textContent = counts.rejected;
}

function draw() {
  tick(Date.now());
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(10, ...perSecond);
  ctx.strokeStyle = '#dee2e6';
  ctx.beginPath();
  ctx.moveTo(0, h - 0.5);
  ctx.lineTo(w, h - 0.5);
  ctx.stroke();
  ctx.fillStyle = '#666';
  ctx.font = '11px sans-serif';
  ctx.fillText(`${max}/s`, 4, 12);
  ctx.strokeStyle = '#1c7ed6';
  ctx.lineWidth = 2;
  ctx.beginPath();
  perSecond.forEach((v, i) => {
    const x = (i / (perSecond.length - 1)) * w;
    const y = h - (v / max) * (h - 16);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  $('rate').textContent = perSecond[perSecond.length - 2];
  showCounts();
}

async function loadTotals() {
  try {
    const res = await fetch('/api/stats');
    if (!res.ok) return;
    const t = await res.json();
    counts.completed = t.all.completed;
    counts.failed = t.all.failed;
    counts.rejected = t.all.rejected;
    showCounts();
  } catch (e) { /* the node is down; the socket retries */ }
}

// The strip of nodes: each member with its state and rate, this one marked.
async function loadNodes() {
  try {
    const res = await fetch('/api/cluster');
    if (!res.ok) return;
    const c = await res.json();
    const strip = $('nodes');
    strip.replaceChildren(...c.nodes.map((n) => {
      const el = document.createElement('div');
      el.className = `node ${n.state}${n.self ? ' self' : ''}`;
      el.dataset.node = n.id;
      el.title = n.http ? `http://${n.http}/` : n.id;
      const rate = n.state === 'up' && n.finishedPerSecond !== undefined
        ? ` · ${Math.round(n.finishedPerSecond)}/s` : '';
      el.textContent = `${n.id} ${n.state}${rate}`;
      return el;
    }));
  } catch (e) { /* the node is down; the next poll retries */ }
}

let delay = 500;
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.onopen = () => {
    delay = 500;
    $('conn').textContent = 'live';
    $('conn').className = 'conn up';
    loadTotals();
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === 'changes') {
      msg.changes.forEach(apply);
      showCounts();
    }
  };
  ws.onclose = () => {
    $('conn').textContent = 'reconnecting';
    $('conn').className = 'conn down';
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 5000);
  };
}

$('order-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const body = {
    productName: f.productName.value,
    quantity: Number(f.quantity.value),
    region: f.region.value,
    customer: f.customer.value,
    vip: f.vip.checked,
  };
  const res = await fetch('/api/orders', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  $('form-result').textContent = res.ok ? `accepted ${answer.id}` : `${res.status}: ${answer.message}`;
});

setInterval(draw, 1000);
setInterval(loadNodes, 2000);
loadNodes();
draw();
connect();
