// `unibus monitor` in a real headless Chromium (Debian's `chromium`, driven by playwright-core;
// no browser is ever downloaded): a hub, traffic on a few topics, the page shows topics, rates
// and peers, keeps updating, and shows a client killed with SIGKILL as gone.
// UNIBUS_MONITOR_SCREENSHOT=path also saves a screenshot of the page (docs/monitor.png).
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser } from 'playwright-core';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';
import { cli } from './cli-helpers.js';

// Page functions run in the browser; this project compiles without the DOM library.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

const CHROMIUM = '/usr/bin/chromium';
const children = new ChildSet();
let browser: Browser | undefined;
test.after.each(async () => {
  await browser?.close().catch(() => undefined);
  browser = undefined;
  await children.killAll();
});

const traffic = script(import.meta.url, './monitor-traffic.js');

function httpStatus(url: string, method: string, host?: string): Promise<number> {
  return within(10_000, `${method} ${url}`, new Promise((resolve, reject) => {
    const req = request(url, { method, ...(host ? { headers: { host } } : {}) }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end();
  }));
}

test('the monitor page shows topics, rates and peers, updates, and shows a SIGKILLed client as gone', async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is not installed: apt-get install -y chromium (.ci/run installs it)`);
  }
  const url = `unix://${join(tmpDir('monitor'), 'hub.sock')}`;
  const hub = children.add(cli(['hub', url, '--name', 'plant-hub']));
  await hub.waitLine(/^listening /);
  const sensors = children.add(spawnNode(traffic, [url, 'sensors', '-', 'sensors.kitchen.temp:6', 'sensors.hall.temp:2', 'sensors.garage.door:1']));
  const dashboard = children.add(spawnNode(traffic, [url, 'dashboard', 'sensors.>', 'orders.created:1']));
  const doomed = children.add(spawnNode(traffic, [url, 'doomed-worker', 'orders.*', 'alerts.fire:1']));
  for (const c of [sensors, dashboard, doomed]) await c.waitLine(/^ready$/);
  const monitor = children.add(cli(['monitor', url, '--port', '0']));
  const address = (await monitor.waitLine(/^monitor http:\/\/127\.0\.0\.1:\d+\//)).split(' ')[1]!;

  // Read-only and loopback-only from the outside too.
  assert.is(await httpStatus(address, 'POST'), 405);
  assert.is(await httpStatus(address, 'GET', 'evil.example:80'), 403);
  assert.is(await httpStatus(`${address}tail?pattern=a..b`, 'GET'), 400);

  browser = await within(60_000, 'chromium starting', chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  }));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  await page.goto(address);

  // Topics with a rate above zero, and the uPlot chart and sparklines drawn.
  for (const topic of ['sensors.kitchen.temp', 'sensors.hall.temp', 'orders.created', 'alerts.fire']) {
    await page.waitForFunction((t) => {
      const rate = document.querySelector(`tr[data-topic="${t}"] .rate`)?.textContent ?? '0';
      return parseFloat(rate) > 0;
    }, topic);
  }
  assert.ok(await page.locator('#chart canvas').count() > 0, 'rate chart drawn');
  assert.ok(await page.locator('tr[data-topic="sensors.kitchen.temp"] td.spark canvas').count() === 1, 'sparkline drawn');
  // Peers with their transport and pid.
  for (const c of [sensors, dashboard, doomed]) {
    const row = page.locator(`#peers tr[data-pid="${c.pid}"]`);
    await row.waitFor();
    assert.is(await row.locator('.transport').textContent(), 'unix');
    assert.is(await row.locator('.state').textContent(), 'ok');
  }
  assert.match(await page.locator('#events').textContent() ?? '', /peer-joined/);
  // It updates: the hub's routed count grows.
  const routed = async (): Promise<number> => Number.parseFloat((await page.locator('#hub b').nth(7).textContent()) ?? '0');
  const before = await routed();
  await page.waitForFunction((b) => Number.parseFloat(document.querySelectorAll('#hub b')[7]?.textContent ?? '0') !== b, before);

  // The tail shows messages of a typed pattern; a bad pattern is refused with a note.
  await page.fill('#tail-pattern', 'a..b');
  await page.click('#tail-form button');
  await page.waitForFunction(() => document.querySelector('#tail-note')?.textContent?.startsWith('invalid pattern'));
  await page.fill('#tail-pattern', 'orders.*');
  await page.click('#tail-form button');
  await page.waitForFunction(() => [...document.querySelectorAll('#tail li')].some((li: { textContent: string }) => li.textContent.includes('orders.created')));

  if (process.env.UNIBUS_MONITOR_SCREENSHOT) {
    await page.waitForTimeout(8000); // a few seconds of chart
    await page.screenshot({ path: process.env.UNIBUS_MONITOR_SCREENSHOT, fullPage: true });
  }

  // A client killed with SIGKILL: shown as gone, with the reason.
  doomed.kill('SIGKILL');
  await doomed.waitExit();
  const gone = page.locator(`#peers tr[data-pid="${doomed.pid}"]`);
  await page.waitForFunction((pid) => document.querySelector(`#peers tr[data-pid="${pid}"]`)?.classList.contains('gone'), doomed.pid);
  assert.match(await gone.locator('.state').textContent() ?? '', /^gone \(peer-gone\)$/);
  assert.match(await page.locator('#events').textContent() ?? '', /peer-left doomed-worker/);
  assert.is(await page.locator(`#peers tr[data-pid="${sensors.pid}"] .state`).textContent(), 'ok');

  await browser.close();
  browser = undefined;
  monitor.kill('SIGTERM');
  assert.is((await monitor.waitExit()).code, 0, monitor.stderr);
  hub.kill('SIGTERM');
  assert.is((await hub.waitExit()).code, 0, hub.stderr);
});

test.run();
