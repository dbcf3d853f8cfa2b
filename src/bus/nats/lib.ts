/** The NATS client library, imported once on first use so local-only programs never load it. */

export type Lib = typeof import('@nats-io/transport-node');

let libPromise: Promise<Lib> | undefined;

/** Loads the NATS client once, on first use. */
export function loadLib(): Promise<Lib> {
  return (libPromise ??= import('@nats-io/transport-node'));
}
