/** The policy's pure parts: parsing and validation, name resolution, pattern algebra, decide(). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Accounts } from '../../src/bus/policy/accounts.js';
import { compilePolicy, parsePolicy } from '../../src/bus/policy/compile.js';
import { decide, rightsFor, NO_RULE, excluded } from '../../src/bus/policy/decide.js';
import { covers, overlaps } from '../../src/bus/policy/patterns.js';
import { PolicyError } from '../../src/errors.js';
import type { PeerIdentity } from '../../src/bus/policy/types.js';

const accounts = new Accounts(
  'root:x:0:0::/root:/bin/sh\nbilling:x:1001:1001::/h:/bin/sh\nalice:x:1002:1002::/h:/bin/sh\n',
  'root:x:0:\nbilling:x:1001:\nalice:x:1002:\nops:x:2000:alice,someone\n',
);
const EXAMPLE = {
  default: { publish: { deny: ['>'] }, subscribe: { allow: ['status.*'] } },
  users: { billing: { publish: { allow: ['invoices.>'] }, subscribe: { deny: ['payroll.>'] } } },
  groups: { ops: { subscribe: { allow: ['>'] } } },
};
const who = (uid: number, gid: number): PeerIdentity => ({ uid, gid, groups: accounts.groupsOf(uid, gid) });
const policy = compilePolicy(EXAMPLE, accounts);

test('names resolve to ids; numeric keys are ids; groups come from /etc/group members and the kernel gid', () => {
  assert.is(accounts.uid('billing'), 1001);
  assert.is(accounts.uid('4242'), 4242);
  assert.is(accounts.gid('ops'), 2000);
  assert.equal(accounts.groupsOf(1002, 1002).sort(), [1002, 2000]);
  assert.equal(accounts.groupsOf(1001, 1001), [1001]);
  assert.equal(accounts.groupsOf(5000, 77), [77]);
});

test('the example of issue 19: deny wins, default applies, groups add', () => {
  // The default forbids publishing; billing's own rule allows invoices (the default is the fallback).
  const billing = rightsFor(policy, who(1001, 1001));
  assert.equal(decide(billing, 'publish', 'invoices.2024.7'), { allowed: true, rule: 'users.billing.publish.allow[0] "invoices.>"' });
  assert.equal(decide(billing, 'publish', 'orders.1'), { allowed: false, rule: 'default.publish.deny[0] ">"' });
  // status.* for everyone, payroll denied to billing.
  assert.equal(decide(billing, 'subscribe', 'status.db'), { allowed: true, rule: 'default.subscribe.allow[0] "status.*"' });
  assert.is(decide(billing, 'subscribe', 'payroll.>').rule, 'users.billing.subscribe.deny[0] "payroll.>"');
  // alice is in ops: may read anything.
  const alice = rightsFor(policy, who(1002, 1002));
  assert.is(decide(alice, 'subscribe', 'payroll.x').allowed, true);
  assert.is(decide(alice, 'subscribe', '>').rule, 'groups.ops.subscribe.allow[0] ">"');
  // a stranger: only status.*
  const other = rightsFor(policy, who(7000, 7000));
  assert.equal(decide(other, 'subscribe', 'orders.x'), { allowed: false, rule: NO_RULE });
  assert.is(decide(other, 'publish', 'status.db').allowed, false);
});

test('deny wins among a user\'s and its groups\' rules, whichever carries it', () => {
  const p = compilePolicy({
    users: { alice: { subscribe: { allow: ['hr.>'] }, publish: { deny: ['ops.restart'] } } },
    groups: { ops: { subscribe: { deny: ['hr.salaries'] }, publish: { allow: ['ops.>'] } } },
    default: { subscribe: { allow: ['hr.salaries'] } },
  }, accounts);
  const alice = rightsFor(p, who(1002, 1002));
  assert.is(decide(alice, 'subscribe', 'hr.salaries').rule, 'groups.ops.subscribe.deny[0] "hr.salaries"', 'group deny over user allow, default allow not consulted');
  assert.equal(decide(alice, 'subscribe', 'hr.>').except!.map((r) => r.pattern), ['hr.salaries']);
  assert.is(decide(alice, 'publish', 'ops.restart').rule, 'users.alice.publish.deny[0] "ops.restart"', 'user deny over group allow');
  assert.is(decide(alice, 'publish', 'ops.deploy').allowed, true);
  // Not in ops: the default decides hr.salaries.
  assert.is(decide(rightsFor(p, who(1001, 1001)), 'subscribe', 'hr.salaries').allowed, true);
});

test('the default filters a subscription it allowed with its own denies too', () => {
  const p = compilePolicy({ default: { subscribe: { allow: ['>'], deny: ['secret.>'] } } }, accounts);
  assert.equal(decide(rightsFor(p, who(9, 9)), 'subscribe', '>').except!.map((r) => r.pattern), ['secret.>']);
  assert.is(decide(rightsFor(p, who(9, 9)), 'subscribe', 'secret.*').allowed, false);
});

test('publish: a topic must match an allow and no deny', () => {
  const p = compilePolicy({ users: { billing: { publish: { allow: ['invoices.>', 'a.*'], deny: ['invoices.secret.>'] } } } }, accounts);
  const r = rightsFor(p, who(1001, 1001));
  assert.is(decide(r, 'publish', 'invoices.x').allowed, true);
  assert.is(decide(r, 'publish', 'invoices.x.y.z').allowed, true);
  assert.is(decide(r, 'publish', 'invoices').allowed, false, '> needs at least one token');
  assert.is(decide(r, 'publish', 'invoices.secret.k').rule, 'users.billing.publish.deny[0] "invoices.secret.>"');
  assert.is(decide(r, 'publish', 'a.b').allowed, true);
  assert.is(decide(r, 'publish', 'a.b.c').allowed, false, '* is one token');
  assert.is(decide(r, 'publish', 'a').allowed, false);
});

test('subscribe: * vs >, a pattern must lie within an allow', () => {
  const p = compilePolicy({ default: { subscribe: { allow: ['status.*', 'logs.>'] } } }, accounts);
  const r = rightsFor(p, who(9, 9));
  assert.is(decide(r, 'subscribe', 'status.*').allowed, true);
  assert.is(decide(r, 'subscribe', 'status.db').allowed, true);
  assert.is(decide(r, 'subscribe', 'status.>').allowed, false, 'status.> reaches status.a.b, which status.* does not allow');
  assert.is(decide(r, 'subscribe', 'status').allowed, false);
  assert.is(decide(r, 'subscribe', '*.db').allowed, false);
  assert.is(decide(r, 'subscribe', '>').allowed, false);
  assert.is(decide(r, 'subscribe', 'logs.>').allowed, true);
  assert.is(decide(r, 'subscribe', 'logs.*.x').allowed, true);
  assert.is(decide(r, 'subscribe', 'logs').allowed, false);
});

test('subscribe: a deny inside an allowed pattern filters instead of refusing; a covering deny refuses', () => {
  const p = compilePolicy({ default: { subscribe: { allow: ['>'], deny: ['payroll.>', '*.secret'] } } }, accounts);
  const r = rightsFor(p, who(9, 9));
  const all = decide(r, 'subscribe', '>');
  assert.is(all.allowed, true);
  assert.equal(all.except!.map((x) => x.pattern), ['payroll.>', '*.secret']);
  assert.is(excluded(all.except!, 'payroll.june'), true);
  assert.is(excluded(all.except!, 'hr.secret'), true);
  assert.is(excluded(all.except!, 'hr.public'), false);
  assert.is(decide(r, 'subscribe', 'payroll.*').allowed, false);
  assert.is(decide(r, 'subscribe', 'hr.secret').allowed, false);
  assert.equal(decide(r, 'subscribe', 'hr.*').except!.map((x) => x.pattern), ['*.secret']);
  assert.is(decide(r, 'subscribe', 'orders.new').except, undefined);
  assert.is(decide(r, 'subscribe', 'orders.*').except!.length, 1, 'orders.secret is within orders.*');
});

test('covers and overlaps', () => {
  const t = (s: string): string[] => s.split('.');
  assert.ok(covers(t('>'), t('a')));
  assert.ok(covers(t('a.>'), t('a.*.c')));
  assert.not.ok(covers(t('a.*'), t('a.>')));
  assert.ok(covers(t('a.*'), t('a.*')));
  assert.not.ok(covers(t('a.b'), t('a.*')));
  assert.not.ok(covers(t('a.>'), t('a')));
  assert.ok(overlaps(t('a.*'), t('*.b')));
  assert.ok(overlaps(t('a.>'), t('*.*.c')));
  assert.not.ok(overlaps(t('a'), t('a.>')));
  assert.not.ok(overlaps(t('a.b'), t('a.c')));
  assert.not.ok(overlaps(t('a.*'), t('a.b.c')));
});

test('bad documents: typed errors naming the bad key', () => {
  const cases: Array<[unknown, string]> = [
    [[], '(top level)'],
    [{ defualt: {} }, 'defualt'],
    [{ users: { nobody_here_xyz: {} } }, 'users.nobody_here_xyz'],
    [{ groups: { no_group_xyz: {} } }, 'groups.no_group_xyz'],
    [{ users: { billing: { subcribe: {} } } }, 'users.billing.subcribe'],
    [{ users: { billing: { publish: { allow: 'a.b' } } } }, 'users.billing.publish.allow'],
    [{ users: { billing: { publish: { allow: ['a..b'] } } } }, 'users.billing.publish.allow[0]'],
    [{ default: { subscribe: { deny: ['a.>.b'] } } }, 'default.subscribe.deny[0]'],
    [{ default: { subscribe: { deny: [7] } } }, 'default.subscribe.deny[0]'],
    [{ default: { publish: { alow: [] } } }, 'default.publish.alow'],
    [{ users: { billing: {}, 1001: {} } }, 'users.billing'],
  ];
  for (const [doc, key] of cases) {
    try {
      compilePolicy(doc, accounts);
      assert.unreachable(`accepted ${JSON.stringify(doc)}`);
    } catch (err) {
      assert.instance(err, PolicyError, String(err));
      assert.is((err as PolicyError).code, 'ERR_UNIBUS_POLICY');
      assert.is((err as PolicyError).key, key, (err as Error).message);
      assert.not.match((err as Error).message, /\n/);
    }
  }
  try {
    parsePolicy('{ "users": ', 'p.json');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, PolicyError);
    assert.match((err as Error).message, /p\.json is not valid JSON/);
  }
});

test('an empty policy denies everything', () => {
  const r = rightsFor(compilePolicy({}, accounts), who(0, 0));
  assert.equal(decide(r, 'publish', 'a'), { allowed: false, rule: NO_RULE });
  assert.equal(decide(r, 'subscribe', '>'), { allowed: false, rule: NO_RULE });
});

test.run();
