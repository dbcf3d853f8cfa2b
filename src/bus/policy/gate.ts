/**
 * The router's side of a policy: who each peer is (from the kernel, at HELLO), whether it may
 * publish each PUB and subscribe each SUB, the replies it may send, and the re-check of every
 * peer when the policy is reloaded. The router calls it at one place per operation; a hub
 * without a policy has no gate and pays nothing.
 *
 * Requests and replies: a peer may always subscribe within its own inbox (`_INBOX.<busId>.>`,
 * busId from its HELLO, which no other uid may claim while it is connected), and a peer that
 * was handed a request whose reply subject lies in its requester's own inbox may publish once
 * to that subject. A reply subject anywhere else grants nothing (no confused deputy).
 * @module
 */
import { PolicyError } from '../../errors.js';
import { STATUS_HEADER, type FabricStatus, type PeerDescription } from '../fabric.js';
import type { Hello, Pub } from '../protocol/messages.js';
import type { RouterPeer, SubEntry } from '../hub/router-peer.js';
import { decide } from './decide.js';
import { encodeDenied, encodeDeniedReply } from './denied-frame.js';
import type { HubPolicy } from './hub-policy.js';
import { covers } from './patterns.js';
import type { Decision, PeerIdentity, PeerRights, PolicyAction } from './types.js';
import { PolicyDeniedError } from '../../errors.js';

/** Reply permissions kept per peer at most; the oldest goes first (its requester timed out long ago). */
const MAX_REPLY_GRANTS = 10_000;
const OWN_INBOX = 'own inbox';
/** Publish decisions cached per peer at most. */
const DECISION_CACHE = 1024;

/** What the gate knows of one peer. */
export interface PeerGrant {
  identity: PeerIdentity;
  rights: PeerRights;
  /** `_INBOX.<busId>.` of this peer. */
  readonly inboxPrefix: string;
  readonly inboxTokens: readonly string[];
  /** Reply subjects this peer may publish to once. */
  readonly replies: Map<string, true>;
  /** Publish decisions by topic (topics repeat; cleared on reload and when full). */
  readonly published: Map<string, Decision>;
}

/** What the gate needs from the router. */
export interface GateHost {
  readonly hubName: string;
  peers(): Iterable<RouterPeer>;
  write(peer: RouterPeer, frame: Uint8Array): void;
  emit(status: FabricStatus): void;
  describe(peer: RouterPeer): PeerDescription;
  /** Takes a subscription out of the router's index (a reload forbade it). */
  drop(entry: SubEntry): void;
  readonly counters: { permissionDenied: number };
}

export class PolicyGate {
  readonly #policy: HubPolicy;
  readonly #host: GateHost;
  readonly #inProcess: boolean;
  readonly #stop: () => void;

  /** `inProcess`: every peer is this process (`memory://`), so its credentials are ours. */
  constructor(policy: HubPolicy, host: GateHost, inProcess: boolean) {
    this.#policy = policy;
    this.#host = host;
    this.#inProcess = inProcess;
    this.#stop = policy.onChange(() => this.#recheck());
  }

  /** At HELLO: who the peer is, from the kernel. An error refuses the peer. The hub's own bus is not restricted. */
  admit(peer: RouterPeer, hello: Hello): PolicyError | undefined {
    if (peer.local) return undefined;
    const cred = this.#inProcess ? { uid: process.getuid?.(), gid: process.getgid?.() } : peer.conn.peer;
    if (cred.uid === undefined) return new PolicyError('', 'the kernel did not say who this peer is (no uid): refused');
    // The busId names the peer's inbox; the router already refused one that is not a single token
    // (hello-rules.ts), or a HELLO saying `>` would own every inbox.
    for (const other of this.#host.peers()) {
      if (other === peer || other.hello?.busId !== hello.busId) continue;
      const uid = other.grant ? other.grant.identity.uid : process.getuid?.();
      if (uid !== cred.uid) return new PolicyError('', `busId ${hello.busId} is in use by another user: refused`);
    }
    const identity = this.#policy.identity(cred.uid, cred.gid ?? -1);
    const inboxPrefix = `_INBOX.${hello.busId}.`;
    peer.grant = {
      identity, rights: this.#policy.rights(identity), inboxPrefix,
      inboxTokens: ['_INBOX', ...hello.busId.split('.'), '>'], replies: new Map(), published: new Map(),
    };
    return undefined;
  }

  /** True when `peer` may publish `pub`; otherwise refuses it (ERR, event, count) and returns false. */
  mayPublish(peer: RouterPeer, pub: Pub): boolean {
    const g = peer.grant;
    if (!g) return true;
    if (g.replies.size > 0 && g.replies.delete(pub.topic)) return true;
    let d = g.published.get(pub.topic);
    if (d === undefined) {
      d = decide(g.rights, 'publish', pub.topic);
      if (g.published.size >= DECISION_CACHE) g.published.clear();
      g.published.set(pub.topic, d);
    }
    if (d.allowed) return true;
    this.#refuse(peer, 'publish', pub.topic, d, { seq: pub.seq });
    if (pub.replyTo !== undefined && pub.replyTo.startsWith(g.inboxPrefix)) {
      this.#host.write(peer, encodeDeniedReply(pub.replyTo, `hub:${this.#host.hubName}`, d.rule, STATUS_HEADER));
    }
    return false;
  }

  /** True when `peer` may hold `entry` (and sets which topics it must not get); otherwise refuses it. */
  maySubscribe(peer: RouterPeer, entry: SubEntry): boolean {
    const d = this.#decideSub(peer, entry.pattern);
    if (!d) return true;
    if (d.allowed) {
      entry.except = d.except;
      return true;
    }
    this.#refuse(peer, 'subscribe', entry.pattern, d, { sid: entry.sid });
    return false;
  }

  /** The router handed `pub` (a request) from `from` to `to`: `to` may answer it once. */
  grantReply(from: RouterPeer | undefined, to: RouterPeer, replyTo: string): void {
    const g = to.grant;
    if (!g || !from?.hello || !replyTo.startsWith(`_INBOX.${from.hello.busId}.`)) return;
    if (g.replies.size >= MAX_REPLY_GRANTS) g.replies.delete(g.replies.keys().next().value!);
    g.replies.set(replyTo, true);
  }

  close(): void {
    this.#stop();
  }

  #decideSub(peer: RouterPeer, pattern: string): Decision | undefined {
    const g = peer.grant;
    if (!g) return undefined;
    const tokens = pattern.split('.');
    if (covers(g.inboxTokens, tokens)) return { allowed: true, rule: OWN_INBOX };
    return decide(g.rights, 'subscribe', pattern);
  }

  #refuse(peer: RouterPeer, action: PolicyAction, subject: string, d: Decision, ref: { sid?: number; seq?: number }): void {
    this.#host.counters.permissionDenied++;
    this.#host.write(peer, encodeDenied({ action, subject, rule: d.rule, ...ref }));
    this.#host.emit({
      type: 'permission-denied', peer: this.#host.describe(peer), error: new PolicyDeniedError(action, subject, d.rule),
    });
  }

  /** After a reload: new rights for everyone; subscriptions now forbidden end with the error. */
  #recheck(): void {
    for (const peer of this.#host.peers()) {
      const g = peer.grant;
      if (!g) continue;
      g.identity = this.#policy.identity(g.identity.uid, g.identity.gid);
      g.rights = this.#policy.rights(g.identity);
      g.published.clear();
      for (const entry of [...peer.subs.values()]) {
        if (this.maySubscribe(peer, entry)) continue;
        peer.subs.delete(entry.sid);
        this.#host.drop(entry);
      }
    }
  }
}

/** Transports whose peers' uid the kernel proves (SO_PEERCRED), or in-process ones. */
const PROVEN = new Set(['unix', 'memory']);

/**
 * Throws a `PolicyError` unless a hub on `scheme` can tell who its peers are. FIFOs, pipes,
 * SysV queues, shared memory and the spool carry no kernel-proven uid per connection in this
 * version (docs/security.md), so a policy there would be decorative.
 */
export function checkPolicyTransport(scheme: string): void {
  if (PROVEN.has(scheme)) return;
  throw new PolicyError('', `a hub with a policy needs a transport whose kernel proves each peer's uid (unix://); ${scheme}:// cannot, so it is refused`);
}

/** Whether a policy's peers are all this process (memory://). */
export const inProcessScheme = (scheme: string): boolean => scheme === 'memory';
