/**
 * NATS as a unibus fabric. Import this module lazily (the Bus does, for `nats://` URLs), so
 * programs on local transports never load the NATS client.
 * @module
 */
export { NatsFabric, openNatsFabric } from './nats-fabric.js';
export type { NatsFabricOptions, NatsFabricStats } from './options.js';
export { parseNatsUrl, isNatsUrl, type NatsUrl } from './url.js';
export { CODEC_HEADER, PUBLISHER_HEADER, SEQ_HEADER } from './encoding.js';
