// Browser test of the live page: the real ordernode binary, headless Chromium via Playwright.
// Posts completing, failing and invalid orders through the API and waits for each in its area;
// then restarts the node and checks that the page reconnects by itself.
// Env: ORDERNODE_BIN (the binary), ORDERNODE_ARTIFACTS (where the screenshots go).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const bin = process.env.ORDERNODE_BIN;
const artifacts = process.env.ORDERNODE_ARTIFACTS || path.join(os.tmpdir(), 'ordernode-artifacts');
if (!bin) {
  console.error('FAIL: ORDERNODE_BIN is not set');
  process.exit(1);
}
fs.mkdirSync(artifacts, { recursive: true });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ordernode-browser-'));

function startNode(bind) {
  const args = [
    `--journal.path=${path.join(dir, 'browser.db')}`, '--source.enabled=false',
    `--http.bind=${bind}`, '--processor.latency=1s', '--processor.failure-rate=0',
    '--processor.fail-match=broken', '--shipper.latency=100ms', '--shipper.failure-rate=0',
    '--metrics.bind=127.0.0.1:0', '--admin.port=0',
  ];
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no HTTP server in the log:\n${log}`)), 20000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /HTTP server listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`ordernode exited with ${code}:\n${log}`)));
  });
  return { child, port, log: () => log };
}

function stopNode(node) {
  return new Promise((resolve) => {
    node.child.on('exit', (code) => resolve(code));
    node.child.kill('SIGTERM');
  });
}

async function post(base, order) {
  const res = await fetch(`${base}/api/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(order),
  });
  const body = await res.json();
  return { status: res.status, body };
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

async function expectIn(page, area, id, text) {
  const card = page.locator(`#${area} li[data-id="${id}"]`);
  await card.waitFor({ timeout: 20000 });
  if (text) {
    const content = await card.textContent();
    check(content.includes(text), `order ${id} in ${area} shows "${text}"`);
  } else {
    console.log(`ok: order ${id} in ${area}`);
  }
}

async function main() {
  let node = startNode('127.0.0.1:0');
  const port = await node.port;
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + '/');
    await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10000 });
    check(true, 'the page connected to /ws');
    // A node alone shows itself in the strip of nodes, up.
    const self = page.locator('#nodes .node.self.up');
    await self.waitFor({ timeout: 10000 });
    check((await self.textContent()).includes(' up'), 'the strip of nodes shows this node up');
    // The journal starts publishing once the socket subscribed; wait until the hub counts it.
    for (let i = 0; i < 100; i++) {
      const stats = await (await fetch(`${base}/api/stats`)).json();
      if (stats.websocket.clients >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));

    const good = [];
    for (const p of ['keyboard', 'monitor', 'dock']) {
      const r = await post(base, { productName: p, quantity: 2, region: 'eu', customer: 'alice', vip: p === 'dock' });
      check(r.status === 202, `POST ${p} answers 202`);
      good.push(r.body.id);
    }
    const failing = [];
    for (const p of ['broken lamp', 'broken chair']) {
      const r = await post(base, { productName: p, quantity: 1, region: 'us', customer: 'bob' });
      check(r.status === 202, `POST ${p} answers 202`);
      failing.push(r.body.id);
    }
    const invalid = [];
    for (const o of [{ productName: '', quantity: 1, region: 'eu', customer: 'carol' },
      { productName: 'globe', quantity: 1, region: 'mars', customer: 'carol' }]) {
      const r = await post(base, o);
      check(r.status === 422 && r.body.id, `invalid order answers 422 with its id (${r.body.field})`);
      invalid.push(r.body.id);
    }
    // While they run, the slow ones show in progress.
    await expectIn(page, 'in-progress', good[0]);
    for (const id of good) await expectIn(page, 'completed', id, 'completed');
    for (const id of failing) await expectIn(page, 'failed', id, 'broken');
    for (const id of invalid) await expectIn(page, 'failed', id, 'validation');
    await page.locator('#count-completed', { hasText: '3' }).waitFor({ timeout: 5000 });
    check(Number(await page.textContent('#count-failed')) === 2, 'the failed counter says 2');
    check(Number(await page.textContent('#count-rejected')) === 2, 'the rejected counter says 2');
    await page.screenshot({ path: path.join(artifacts, 'live_page.png'), fullPage: true });

    // Restart the node on the same port: the page shows it lost the feed, then comes back.
    check(await stopNode(node) === 0, 'the node stopped cleanly');
    await page.locator('#conn', { hasText: 'reconnecting' }).waitFor({ timeout: 10000 });
    check(true, 'the page noticed the node went away');
    node = startNode(`127.0.0.1:${port}`);
    await node.port;
    await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 15000 });
    check(true, 'the page reconnected after the restart');
    for (let i = 0; i < 100; i++) {
      const stats = await (await fetch(`${base}/api/stats`)).json();
      if (stats.websocket.clients >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    const after = await post(base, { productName: 'headset', quantity: 1, region: 'ap', customer: 'dave' });
    check(after.status === 202, 'POST after the restart answers 202');
    await expectIn(page, 'completed', after.body.id, 'headset');
    await page.screenshot({ path: path.join(artifacts, 'live_page_after_restart.png'), fullPage: true });
    check(errors.length === 0, `no script errors on the page (${errors.join('; ')})`);
  } finally {
    await browser.close();
    if (node.child.exitCode === null) await stopNode(node);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => {
  console.log('PASS');
}, (e) => {
  console.error(`FAIL: ${e.stack || e}`);
  process.exitCode = 1;
});
