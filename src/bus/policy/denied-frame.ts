/**
 * The ERR a hub sends for a refused PUB or SUB: `[8, "ERR_UNIBUS_PERMISSION", text, detail]`
 * where detail is `{ action, subject, rule, sid? , seq? }` (docs/protocol.md). The connection
 * stays open. A client that does not know the fourth element still reports the text.
 * @module
 */
import { Packr } from 'msgpackr';
import { PolicyDeniedError } from '../../errors.js';
import { Op } from '../protocol/messages.js';

/** The code an ERR carries when the policy refused something. */
export const DENIED_CODE = 'ERR_UNIBUS_PERMISSION';

/** What a refused operation was. */
export interface DeniedDetail {
  readonly action: string;
  readonly subject: string;
  readonly rule: string;
  /** The refused (or ended) subscription's id. */
  readonly sid?: number;
  /** The refused PUB's sequence number. */
  readonly seq?: number;
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encodeDenied(d: DeniedDetail): Uint8Array {
  return packr.pack([Op.ERR, DENIED_CODE, new PolicyDeniedError(d.action, d.subject, d.rule).message, d]);
}

/** The detail of a decoded ERR message, when it is a policy refusal; undefined otherwise. */
export function deniedDetail(msg: readonly unknown[]): DeniedDetail | undefined {
  const d = msg[3] as Partial<DeniedDetail> | undefined;
  if (msg[1] !== DENIED_CODE || typeof d !== 'object' || d === null) return undefined;
  if (typeof d.action !== 'string' || typeof d.subject !== 'string' || typeof d.rule !== 'string') return undefined;
  return d as DeniedDetail;
}

/** Status header value of a refused request's answer (its requester fails at once). */
export const STATUS_PERMISSION_DENIED = 'permission-denied';
/** Header naming the rule on that answer. */
export const RULE_HEADER = 'unibus-rule';

/** The empty PUB a hub sends to a refused request's inbox, so `request()` fails without waiting. */
export function encodeDeniedReply(replyTo: string, publisher: string, rule: string, statusHeader: string): Uint8Array {
  return packr.pack([Op.PUB, replyTo, 0, publisher, 0, null,
    { [statusHeader]: STATUS_PERMISSION_DENIED, [RULE_HEADER]: rule }, new Uint8Array(0)]);
}
