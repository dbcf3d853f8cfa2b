/**
 * Issue 19 with real users: a hub (this process, root) with a policy on a unix socket, clients
 * running as users created for the test. Who a client is comes from SO_PEERCRED only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import { HubPolicy } from '../../src/bus/policy/hub-policy.js';
import type { BusEvent } from '../../src/bus/events.js';
import { script, type Child } from '../helpers/processes.js';
import { within, until } from '../helpers/watchdog.js';
import { cliPath, stderrHas } from '../cli/cli-helpers.js';
import { sharedDir, spawnAs, TestAccounts, whyNot, type TestUser } from './users.js';

const CLIENT = script(import.meta.url, './fixtures/policy-client.js');
const skip = whyNot([process.execPath, CLIENT, cliPath]);

type Ev = Record<string, unknown> & { ev: string };

/** A client process as one user, driven by JSON commands. */
class Client {
  readonly child: Child;
  busId = '';
  constructor(user: TestUser, url: string) {
    this.child = spawnAs(user, CLIENT, ['driven', url]);
  }
  async ready(): Promise<this> {
    this.busId = (JSON.parse(await this.child.waitLine(/"ev":"ready"/)) as { busId: string }).busId;
    return this;
  }
  send(cmd: Record<string, unknown>): void {
    this.child.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }
  events(): Ev[] {
    return this.child.lines.map((l) => JSON.parse(l) as Ev);
  }
  async next(match: (e: Ev) => boolean, what: string): Promise<Ev> {
    const line = await within(20_000, what, (async () => {
      for (;;) {
        const hit = this.events().find(match);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 20));
      }
    })());
    return line;
  }
  /** Flushes and returns the outcome (flushed or flush-error). */
  async flush(id: string): Promise<Ev> {
    this.send({ op: 'flush', id });
    return this.next((e) => (e.ev === 'flushed' || e.ev === 'flush-error') && e.id === id, `flush ${id}`);
  }
}

if (skip) {
  test(`multi-user policy tests SKIPPED: ${skip}`, () => {
    console.log(`SKIP test/policy/multi-user: ${skip}`);
  });
} else {
  test('allowed and denied publish/subscribe per rule, deny over allow, * vs >, request/reply, forged HELLO', async () => {
    const accounts = new TestAccounts();
    const dir = sharedDir('policy');
    const clients: Client[] = [];
    let hub: Bus | undefined;
    try {
      const ops = accounts.group('ops');
      const bill = accounts.user('bill', [ops]);
      const al = accounts.user('al', [ops]);
      const eve = accounts.user('eve');
      const policy = HubPolicy.from({
        default: { publish: { deny: ['>'] }, subscribe: { allow: ['status.*'] } },
        users: {
          [bill.name]: { publish: { allow: ['invoices.>', 'status.*', 'rpc.*'] }, subscribe: { deny: ['payroll.>'] } },
          [al.name]: { publish: { allow: ['payroll.>', 'status.*'] } },
        },
        groups: { [ops]: { subscribe: { allow: ['>'] } } },
      });
      const url = `unix://${dir.path}/hub.sock`;
      hub = await Bus.listen(url, { policy, name: 'policy-hub' });
      const events: BusEvent[] = [];
      hub.events.subscribe((e) => events.push(e));

      const b = await new Client(bill, url).ready();
      const a = await new Client(al, url).ready();
      const e = await new Client(eve, url).ready();
      clients.push(b, a, e);

      // Subscriptions: allowed, denied by a user's deny over its group's allow, * vs >.
      a.send({ op: 'sub', id: 'a-inv', pattern: 'invoices.*' });
      b.send({ op: 'sub', id: 'b-all', pattern: '>' });
      b.send({ op: 'sub', id: 'b-pay', pattern: 'payroll.>' });
      e.send({ op: 'sub', id: 'e-inv', pattern: 'invoices.*' });
      e.send({ op: 'sub', id: 'e-st>', pattern: 'status.>' });
      e.send({ op: 'sub', id: 'e-st*', pattern: 'status.*' });
      for (const c of [a, b, e]) assert.is((await c.flush('subs')).ev, 'flushed');
      const bPay = await b.next((x) => x.ev === 'sub-error' && x.id === 'b-pay', 'b-pay refused');
      assert.is(bPay.name, 'PolicyDeniedError');
      assert.is(bPay.code, 'ERR_UNIBUS_PERMISSION');
      assert.is(bPay.rule, `users.${bill.name}.subscribe.deny[0] "payroll.>"`);
      assert.is((await e.next((x) => x.ev === 'sub-error' && x.id === 'e-inv', 'e-inv refused')).rule, 'no rule allows');
      assert.is((await e.next((x) => x.ev === 'sub-error' && x.id === 'e-st>', 'e-st> refused')).rule, 'no rule allows');
      assert.not.ok(e.events().some((x) => x.ev === 'sub-error' && x.id === 'e-st*'));
      assert.not.ok(b.events().some((x) => x.ev === 'sub-error' && x.id === 'b-all'));

      // Publishes: allowed ones arrive; bill's `>` never gets payroll (filtered by its deny).
      b.send({ op: 'pub', topic: 'invoices.7', data: { n: 7 } });
      a.send({ op: 'pub', topic: 'payroll.june', data: 'secret' });
      a.send({ op: 'pub', topic: 'status.al', data: 'up' });
      assert.is((await b.flush('p1')).ev, 'flushed');
      assert.is((await a.flush('p1')).ev, 'flushed');
      await a.next((x) => x.ev === 'msg' && x.id === 'a-inv' && x.topic === 'invoices.7', 'al gets the invoice');
      await e.next((x) => x.ev === 'msg' && x.id === 'e-st*' && x.topic === 'status.al', 'eve gets status.al');
      await b.next((x) => x.ev === 'msg' && x.id === 'b-all' && x.topic === 'status.al', 'bill gets status.al');
      // al's payroll.june was routed before its status.al (one publisher, in order): bill never saw it.
      assert.not.ok(b.events().some((x) => x.ev === 'msg' && String(x.topic).startsWith('payroll')));

      // Denied publishes: the flush after them fails with the rule; the connection stays open.
      const deniedBefore = hub.stats().permissionDenied ?? 0;
      e.send({ op: 'pub', topic: 'status.eve', data: 1 });
      const ef = await e.flush('denied');
      assert.is(ef.ev, 'flush-error');
      assert.is(ef.name, 'PolicyDeniedError');
      assert.is(ef.rule, 'default.publish.deny[0] ">"');
      b.send({ op: 'pub', topic: 'status.a.b', data: 1 }); // status.* is one token
      assert.is((await b.flush('deep')).rule, 'default.publish.deny[0] ">"');
      assert.is((await e.flush('after')).ev, 'flushed', 'eve still connected');
      b.send({ op: 'pub', topic: 'status.bill', data: 2 });
      await e.next((x) => x.ev === 'msg' && x.topic === 'status.bill', 'eve still receives');
      assert.is(hub.stats().permissionDenied, deniedBefore + 2);
      const denials = events.filter((x) => x.type === 'permission-denied');
      assert.ok(denials.some((x) => x.type === 'permission-denied' && x.peer.uid === eve.uid && x.error.subject === 'status.eve'));

      // Request/reply across users: al serves (ops may subscribe rpc.price), bill asks; al has no
      // publish rule for inboxes yet its reply arrives; eve may not ask and fails at once.
      a.send({ op: 'serve', topic: 'rpc.price' });
      assert.is((await a.flush('serve')).ev, 'flushed');
      b.send({ op: 'req', id: 'r1', topic: 'rpc.price', data: 'sku-1' });
      const reply = await b.next((x) => x.id === 'r1' && (x.ev === 'reply' || x.ev === 'req-error'), 'reply to bill');
      assert.equal(reply.data, { echo: 'sku-1', by: al.uid }, JSON.stringify(reply));
      e.send({ op: 'req', id: 'r2', topic: 'rpc.price', data: 'sku-2' });
      const refused = await e.next((x) => x.id === 'r2' && (x.ev === 'reply' || x.ev === 'req-error'), 'eve refused');
      assert.is(refused.name, 'PolicyDeniedError');
      // eve cannot inject a reply into bill's inbox, nor read it.
      e.send({ op: 'pub', topic: `_INBOX.${b.busId}.1`, data: 'fake' });
      assert.is((await e.flush('inject')).ev, 'flush-error');
      e.send({ op: 'sub', id: 'e-snoop', pattern: `_INBOX.${b.busId}.*` });
      assert.is((await e.next((x) => x.ev === 'sub-error' && x.id === 'e-snoop', 'snoop refused')).rule, 'no rule allows');

      // Forged HELLOs as eve: claiming bill's busId is refused; any name/pid changes nothing.
      const steal = spawnAs(eve, CLIENT, ['raw', url, JSON.stringify({ name: bill.name, pid: 1, busId: b.busId }), `_INBOX.${b.busId}.*`, 'x.y']);
      await steal.waitLine(/is in use by another user: refused/); // the hub's ERR, then it hangs up
      await steal.waitLine(/conn-closed/);
      await steal.exited;
      assert.not.ok(steal.lines.some((l) => /"type":1,/.test(l)), 'no HELLO from the hub: never admitted');
      // A busId that is a wildcard would name every inbox: refused.
      for (const busId of ['>', '*', 'a.b']) {
        const wild = spawnAs(eve, CLIENT, ['raw', url, JSON.stringify({ name: 'x', pid: 1, busId }), '_INBOX.>', 'x.y']);
        await wild.waitLine(/must be one topic token/); // refused by every hub at HELLO (hello-rules.ts)
        await wild.waitLine(/conn-closed/);
        await wild.exited;
        assert.not.ok(wild.lines.some((l) => /"ev":"frame","type":(1|6),/.test(l)), `busId ${busId}: ${wild.lines.join('\n')}`);
      }
      const forged = spawnAs(eve, CLIENT, ['raw', url, JSON.stringify({ name: 'root', pid: 1, busId: 'hub' }), 'payroll.>', 'payroll.x']);
      await forged.waitLine(/"type":6/); // PONG: the connection stayed open
      const frames = forged.lines.map((l) => JSON.parse(l) as { type?: number; detail?: unknown[] }).filter((f) => f.type === 8);
      assert.is(frames.length, 2, forged.lines.join('\n'));
      assert.equal((frames[0]!.detail![2] as { action: string }).action, 'subscribe');
      assert.equal((frames[1]!.detail![2] as { action: string }).action, 'publish');
      const seen = hub.peers().find((p) => p.name === 'root');
      assert.is(seen?.uid, eve.uid, 'the hub sees the kernel uid, not the HELLO');
      forged.kill('SIGKILL');
      await forged.exited;
    } finally {
      for (const c of clients) c.child.kill('SIGKILL');
      await Promise.all(clients.map((c) => c.child.exited));
      await hub?.close();
      accounts.remove();
      assert.not.ok(existsSync(`${dir.path}/hub.sock`), 'the hub removed its socket');
      dir.remove();
    }
  });

  test('unibus hub --policy: SIGHUP reloads without dropping connections; forbidden subscriptions end with the error', async () => {
    const accounts = new TestAccounts();
    const dir = sharedDir('policy-cli');
    const clients: Client[] = [];
    let hubChild: Child | undefined;
    try {
      const ops = accounts.group('ops2');
      const al = accounts.user('al2', [ops]);
      const file = `${dir.path}/policy.json`;
      const write = (subscribe: string[]): void => writeFileSync(file, JSON.stringify({
        groups: { [ops]: { subscribe: { allow: subscribe }, publish: { allow: ['payroll.>', 'status.*'] } } },
      }));
      write(['payroll.>', 'status.*']);
      const url = `unix://${dir.path}/hub.sock`;
      const { spawnNode } = await import('../helpers/processes.js');
      hubChild = spawnNode(cliPath, ['hub', url, '--policy', file]);
      await hubChild.waitLine(/^listening /);
      const a = await new Client(al, url).ready();
      clients.push(a);
      a.send({ op: 'sub', id: 'pay', pattern: 'payroll.>' });
      a.send({ op: 'sub', id: 'st', pattern: 'status.*' });
      assert.is((await a.flush('f1')).ev, 'flushed');
      assert.not.ok(a.events().some((x) => x.ev === 'sub-error'));

      // A bad file: the old rules stay.
      writeFileSync(file, '{ "groups": ');
      hubChild.proc.kill('SIGHUP');
      await stderrHas(hubChild, 'policy not reloaded');
      a.send({ op: 'pub', topic: 'payroll.x', data: 1 });
      await a.next((x) => x.ev === 'msg' && x.id === 'pay', 'payroll still delivered');

      write(['status.*']);
      hubChild.proc.kill('SIGHUP');
      await stderrHas(hubChild, 'policy reloaded');
      const ended = await a.next((x) => x.ev === 'sub-error' && x.id === 'pay', 'payroll subscription ended');
      assert.is(ended.name, 'PolicyDeniedError');
      assert.is(ended.rule, 'no rule allows');
      // Same connection: status.* still works.
      a.send({ op: 'pub', topic: 'status.ok', data: 2 });
      await a.next((x) => x.ev === 'msg' && x.id === 'st' && x.topic === 'status.ok', 'status still delivered');
      assert.match(hubChild.stderr, /permission-denied/);
      assert.not.match(hubChild.stderr, /peer-left/);
      await until('hub alive', () => hubChild!.proc.exitCode === null);
    } finally {
      for (const c of clients) c.child.kill('SIGKILL');
      await Promise.all(clients.map((c) => c.child.exited));
      hubChild?.kill('SIGTERM');
      if (hubChild) assert.is((await hubChild.waitExit()).code, 0);
      accounts.remove();
      assert.not.ok(existsSync(`${dir.path}/hub.sock`), 'the hub removed its socket');
      dir.remove();
    }
  });
}

test.run();
