/**
 * Typed topics. A topic map gives each topic (or template-literal topic family) its payload type;
 * a service map gives each served topic its request and response types. The compiler then
 * rejects unknown topics and wrong payloads, and a wildcard subscription yields the union of the
 * payload types of every topic its pattern can match.
 *
 * @example
 * ```ts
 * type Topics = { 'orders.created': { id: string }; [k: `sensor.${string}.temp`]: number };
 * const bus = await Bus.connect<Topics>('unix:///run/app.sock');
 * await bus.publish('sensor.kitchen.temp', 21.5);   // ok
 * // @ts-expect-error wrong payload type
 * await bus.publish('sensor.kitchen.temp', 'warm');
 * bus.subscribe('sensor.*.temp');                    // Observable<Message<number>>
 * ```
 * @module
 */

import type { PeerDescription } from './fabric.js';

/** System topics any bus may subscribe to, typed or not: `$sys.peers` (presence, from the hub). */
export type SysTopics = { '$sys.peers': PeerDescription[] };

/** Topic → payload type. */
export type TopicMap = Record<string, unknown>;
/** Served topic → request and response types. */
export type ServiceMap = Record<string, { request: unknown; response: unknown }>;
/** The maps of an untyped bus: any topic, unknown payloads. */
export type AnyTopics = Record<string, unknown>;
export type AnyServices = Record<string, { request: unknown; response: unknown }>;

type Tokens<S extends string> = S extends `${infer H}.${infer R}` ? [H, ...Tokens<R>] : [S];

type TokenMatches<P extends string, T extends string> =
  P extends '*' ? true : P extends T ? true : T extends P ? true : string extends T ? true : false;

type TokensMatch<P extends string[], T extends string[]> =
  P extends ['>'] ? (T extends [unknown, ...unknown[]] ? true : false)
  : P extends [infer PH extends string, ...infer PR extends string[]]
    ? T extends [infer TH extends string, ...infer TR extends string[]]
      ? TokenMatches<PH, TH> extends true ? TokensMatch<PR, TR> : false
      : false
    : T extends [] ? true : false;

/** Keys of `T` that a subscription pattern `P` can match. */
export type TopicsMatching<T extends TopicMap, P extends string> = string extends P ? keyof T & string : {
  [K in keyof T & string]: TokensMatch<Tokens<P>, Tokens<K>> extends true ? K : never
}[keyof T & string];

/** True when `T` is an untyped map (any string topic). */
type IsOpen<T> = string extends keyof T ? true : false;

/** Topics one may publish to. */
export type PublishTopic<T extends TopicMap> = IsOpen<T> extends true ? string : keyof T & string;

/** Payload type of a concrete topic. */
export type PayloadOf<T extends TopicMap, K extends string> = IsOpen<T> extends true ? unknown
  : K extends keyof T ? T[K] : T[K & keyof T];

/** Payload union for a pattern (never when no topic can match). */
export type PatternPayload<T extends TopicMap, P extends string> = P extends keyof SysTopics ? SysTopics[P]
  : IsOpen<T> extends true ? unknown : T[TopicsMatching<T, P>];

/** Makes a pattern that matches no known topic a compile error (with a readable message). */
export type CheckedPattern<T extends TopicMap, P extends string> = IsOpen<T> extends true ? P
  : P extends keyof SysTopics ? P
  : [TopicsMatching<T, P>] extends [never] ? `no topic of this bus matches the pattern ${P}` : P;

/** Request type of a served topic. */
export type RequestOf<S extends ServiceMap, K extends string> = string extends keyof S ? unknown : S[K]['request'];
/** Response type of a served topic. */
export type ResponseOf<S extends ServiceMap, K extends string> = string extends keyof S ? unknown : S[K]['response'];
/** Served topics one may request. */
export type ServiceTopic<S extends ServiceMap> = string extends keyof S ? string : keyof S & string;

/** A message as a subscriber receives it. */
export interface Message<D = unknown> {
  readonly topic: string;
  readonly data: D;
  readonly headers?: Readonly<Record<string, string>>;
  /** Where a reply goes (set on requests). */
  readonly replyTo?: string;
  /** Id of the publishing bus and its sequence number. */
  readonly publisher?: string;
  readonly seq?: number;
}

/**
 * A runtime validator in the Standard Schema style (`~standard.validate`), or a plain predicate.
 * Only synchronous validation is supported.
 */
export type Validator<V = unknown> =
  | ((value: unknown) => value is V)
  | ((value: unknown) => boolean)
  | { readonly '~standard': { validate(value: unknown): { value?: unknown; issues?: ReadonlyArray<{ message: string }> } | Promise<unknown> } };
