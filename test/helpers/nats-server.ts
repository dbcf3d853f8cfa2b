/**
 * Real nats-server processes for tests: one server or a routed cluster on loopback, on ports the
 * kernel picks (`-p -1`: the server binds port 0 and logs the port, so two runs never collide),
 * with kill and restart (on the same ports) under watchdogs. Servers keep no files (no
 * JetStream) and are killed when the test process exits, whatever happened.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { uniqueName } from './run-id.js';
import { until, within } from './watchdog.js';

/** True when a `nats-server` binary is on PATH (CI installs it; see .ci/run). */
export function natsServerAvailable(): boolean {
  return spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

const live = new Set<ChildProcess>();
process.once('exit', () => { for (const p of live) p.kill('SIGKILL'); });

interface Ports { client: number; cluster?: number; monitor: number }

/** One nats-server process (restartable on the same ports). */
export class NatsServer {
  readonly name: string;
  readonly clusterName: string | undefined;
  #proc: ChildProcess | undefined;
  #ports: Ports | undefined;
  #routes: () => number[];
  #log = '';
  #unref = false;

  private constructor(name: string, clusterName: string | undefined, routes: () => number[]) {
    this.name = name;
    this.clusterName = clusterName;
    this.#routes = routes;
  }

  /** Starts a server; with `cluster`, it listens for routes and connects to `routes()` ports. */
  static async start(options: { name?: string; cluster?: string; routes?: () => number[]; config?: string } = {}): Promise<NatsServer> {
    const server = new NatsServer(options.name ?? uniqueName('nats'), options.cluster, options.routes ?? (() => []));
    server.#config = options.config;
    await server.#spawn();
    return server;
  }

  #config: string | undefined;

  get port(): number { return this.#ports!.client; }
  get clusterPort(): number | undefined { return this.#ports?.cluster; }
  get monitorPort(): number { return this.#ports!.monitor; }
  /** `nats://127.0.0.1:<port>` */
  get url(): string { return `nats://127.0.0.1:${this.port}`; }
  get running(): boolean { return this.#proc !== undefined; }
  get pid(): number | undefined { return this.#proc?.pid; }
  /** Everything the server logged (stderr). */
  get log(): string { return this.#log; }

  async #spawn(): Promise<void> {
    const known = this.#ports;
    const args = ['-a', '127.0.0.1', '-p', String(known?.client ?? -1), '-m', String(known?.monitor ?? -1), '-n', this.name];
    if (this.#config !== undefined) args.push('-c', this.#config);
    if (this.clusterName !== undefined) {
      args.push('--cluster_name', this.clusterName, '--cluster', `nats://127.0.0.1:${known?.cluster ?? -1}`);
      const routes = this.#routes().filter((p) => p !== known?.cluster);
      if (routes.length) args.push('--routes', routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    // A restart on a port the kernel has not freed yet fails at bind: try again for a while.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#spawnOnce(args);
        return;
      } catch (err) {
        if (known === undefined || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async #spawnOnce(args: string[]): Promise<void> {
    const proc = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(proc);
    let text = '';
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.stderr!.on('data', (d: Buffer) => { text += d.toString(); this.#log += d.toString(); });
    const ready = until(`nats-server ${this.name} ready`, () => /Server is ready/.test(text) && (this.clusterName === undefined || /Listening for route connections on/.test(text)), 15_000);
    const failed = exited.then(() => { throw new Error(`nats-server ${this.name} exited at start: ${text.slice(-800)}`); });
    try {
      await Promise.race([ready, failed]);
    } catch (err) {
      proc.kill('SIGKILL');
      await exited;
      live.delete(proc);
      throw err;
    }
    const port = (re: RegExp) => Number(re.exec(text)?.[1]);
    const client = port(/Listening for client connections on [^\s]*:(\d+)/);
    const monitor = port(/Starting http monitor on [^\s]*:(\d+)/);
    const cluster = this.clusterName === undefined ? undefined : port(/Listening for route connections on [^\s]*:(\d+)/);
    this.#ports = cluster === undefined ? { client, monitor } : { client, cluster, monitor };
    this.#proc = proc;
    if (this.#unref) this.#detachFromLoop();
    void exited.then(() => { live.delete(proc); if (this.#proc === proc) this.#proc = undefined; });
  }

  /**
   * Lets the test process exit while the server runs (for servers shared by a whole suite whose
   * end the fixture does not see); the exit handler still kills it.
   */
  unref(): this {
    this.#unref = true;
    this.#detachFromLoop();
    return this;
  }

  #detachFromLoop(): void {
    const proc = this.#proc;
    if (!proc) return;
    proc.unref();
    (proc.stderr as unknown as { unref(): void }).unref();
  }

  /** Number of routes the server has now (from its monitoring endpoint). */
  async routes(): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${this.monitorPort}/routez`);
    const body = await res.json() as { num_routes: number };
    return body.num_routes;
  }

  /** Kills the server (SIGKILL by default: no goodbye to its clients) and waits for its exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.#proc;
    if (proc === undefined) return;
    const exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    proc.kill(signal);
    await within(10_000, `nats-server ${this.name} exiting on ${signal}`, exited);
    this.#proc = undefined;
  }

  /** Starts the server again on the same ports (and routes). */
  async restart(): Promise<void> {
    if (this.#proc !== undefined) throw new Error(`nats-server ${this.name} is still running`);
    await this.#spawn();
  }
}

/** Servers joined by routes (a full mesh on loopback). */
export class NatsCluster {
  readonly servers: NatsServer[];
  private constructor(servers: NatsServer[]) { this.servers = servers; }

  /** Starts `size` routed servers and waits until every one has a route to every other. */
  static async start(size = 3): Promise<NatsCluster> {
    const name = uniqueName('cluster');
    const servers: NatsServer[] = [];
    const routesOf = () => servers.map((s) => s.clusterPort).filter((p): p is number => p !== undefined);
    try {
      for (let i = 0; i < size; i++) {
        servers.push(await NatsServer.start({ name: `${name}-s${i + 1}`, cluster: name, routes: routesOf }));
      }
      const cluster = new NatsCluster(servers);
      await cluster.meshed();
      return cluster;
    } catch (err) {
      await Promise.all(servers.map((s) => s.kill()));
      throw err;
    }
  }

  /** Every running server's URL, comma-joined, `first` first: `nats://h:p,h:p,…`. */
  url(first = 0): string {
    const order = [this.servers[first]!, ...this.servers.filter((_, i) => i !== first)];
    return `nats://${order.map((s) => `127.0.0.1:${s.port}`).join(',')}`;
  }

  /** Waits until every running server routes to every other running server. */
  async meshed(ms = 20_000): Promise<void> {
    const running = () => this.servers.filter((s) => s.running);
    await until('NATS cluster full mesh', async () => {
      const rs = running();
      const counts = await Promise.all(rs.map((s) => s.routes().catch(() => -1)));
      return counts.every((c) => c >= rs.length - 1);
    }, ms, 100);
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
  }
}
