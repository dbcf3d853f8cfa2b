/**
 * The monitor's HTTP side: the page and its assets, `/events` (Server-Sent Events: the hub's
 * `$sys.stats` and the bus's connection state) and `/tail?pattern=P` (SSE: messages matching P,
 * at most TAIL_PER_SEC a second, the rest counted as skipped). GET only: it cannot publish.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Bus } from '../../bus/bus.js';
import { SYS_STATS } from '../../bus/hub/stats.js';
import { checkPattern } from '../../bus/subjects/grammar.js';
import { toJson } from '../args.js';

/** Stats messages kept for a page that opens late (its charts start filled): 2 minutes. */
const HISTORY = 120;
const TAIL_PER_SEC = 50;
/** Characters of a tailed message's JSON shown. */
const TAIL_CHARS = 400;
/** A browser that stops reading: its stream is cut past this many buffered bytes (it reconnects). */
const STREAM_BUFFER_LIMIT = 4 * 1024 * 1024;

const assetsDir = new URL('../../../../src/cli/monitor/assets/', import.meta.url);
const require = createRequire(import.meta.url);

interface Asset { body: Buffer; type: string }

async function loadAssets(): Promise<Map<string, Asset>> {
  const own = async (name: string, type: string): Promise<Asset> => ({ body: await readFile(new URL(name, assetsDir)), type });
  const dep = async (path: string, type: string): Promise<Asset> => ({ body: await readFile(require.resolve(path)), type });
  return new Map([
    ['/', await own('index.html', 'text/html; charset=utf-8')],
    ['/app.js', await own('app.js', 'text/javascript; charset=utf-8')],
    ['/app.css', await own('app.css', 'text/css; charset=utf-8')],
    ['/uplot.js', await dep('uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8')],
    ['/uplot.css', await dep('uplot/dist/uPlot.min.css', 'text/css; charset=utf-8')],
  ]);
}

export interface MonitorServer {
  /** http://host:port/ */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the monitor page for `bus` on host:port (port 0: any free one). */
export async function startMonitor(bus: Bus, host: string, port: number): Promise<MonitorServer> {
  const assets = await loadAssets();
  const history: string[] = [];
  const streams = new Set<ServerResponse>();
  let state = `{"connected":true,"url":${JSON.stringify(bus.url)}}`;
  const broadcast = (event: string, data: string): void => {
    for (const res of streams) {
      if (res.writableLength > STREAM_BUFFER_LIMIT) res.destroy();
      else res.write(`event: ${event}\ndata: ${data}\n\n`);
    }
  };
  const stats = bus.subscribe(SYS_STATS).subscribe((m) => {
    const data = JSON.stringify(m.data);
    history.push(data);
    if (history.length > HISTORY) history.shift();
    broadcast('stats', data);
  });
  const status = bus.events.subscribe((e) => {
    if (e.type !== 'disconnected' && e.type !== 'reconnected') return;
    state = JSON.stringify({ connected: e.type === 'reconnected', url: bus.url });
    broadcast('status', state);
  });
  const keepAlive = setInterval(() => { for (const res of streams) res.write(': keep-alive\n\n'); }, 15_000);

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      send(res, 500, (err as Error).message);
    }
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only: GET only');
    // A page on another site must not read the bus through a name that resolves to loopback.
    if (!hostAllowed(req.headers.host, server.address() as AddressInfo, host)) return send(res, 403, 'unexpected Host header');
    const u = new URL(req.url ?? '/', 'http://x');
    const asset = assets.get(u.pathname);
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (u.pathname === '/events') {
      openStream(res);
      res.write(`event: init\ndata: {"status":${state},"history":[${history.join(',')}]}\n\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (u.pathname === '/tail') return tail(u.searchParams.get('pattern') ?? '', res, req.method === 'HEAD');
    send(res, 404, 'not found');
  };

  const tail = (pattern: string, res: ServerResponse, checkOnly: boolean): void => {
    try {
      checkPattern(pattern);
    } catch (err) {
      return send(res, 400, (err as Error).message);
    }
    if (checkOnly) return send(res, 200, 'ok');
    openStream(res);
    let sent = 0;
    let skipped = 0;
    const sub = bus.subscribe(pattern).subscribe((m) => {
      if (sent >= TAIL_PER_SEC || res.writableLength > STREAM_BUFFER_LIMIT) { skipped++; return; }
      sent++;
      const value = m.data;
      // Large byte payloads are described, not encoded (base64 of megabytes would stall the loop).
      let data = value instanceof Uint8Array && value.length > TAIL_CHARS ? `<${value.length} bytes>` : toJson(value);
      if (data.length > TAIL_CHARS) data = `${data.slice(0, TAIL_CHARS)}…`;
      res.write(`event: msg\ndata: ${JSON.stringify({ topic: m.topic, at: Date.now(), data })}\n\n`);
    });
    const window = setInterval(() => {
      if (skipped > 0) res.write(`event: skipped\ndata: ${skipped}\n\n`);
      sent = 0;
      skipped = 0;
    }, 1000);
    res.on('close', () => { clearInterval(window); sub.unsubscribe(); });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}/`,
    async close() {
      clearInterval(keepAlive);
      stats.unsubscribe();
      status.unsubscribe();
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

function send(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

/** Bound to loopback: only loopback names are accepted as Host (DNS rebinding); otherwise any. */
function hostAllowed(header: string | undefined, addr: AddressInfo, bound: string): boolean {
  if (!isLoopback(bound)) return true;
  if (!header) return false;
  const name = header.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || isLoopback(name) || name === addr.address;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
