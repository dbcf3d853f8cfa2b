/** The Bus's entry to NATS: its options mapped onto a NatsFabric. */
import { NatsFabric } from './nats-fabric.js';

/**
 * Opens a NatsFabric with the Bus's options (the Bus calls this for `nats://` URLs, through a
 * dynamic import). With NATS the server routes, so `Bus.listen('nats://…')` is one more client.
 */
export function openNatsFabric(
  url: string,
  options: {
    name?: string; maxStall?: number; maxFrameSize?: number; maxPendingBytes?: number;
    reconnect?: { bufferBytes?: number; maxWait?: number } | false;
  } = {},
): Promise<NatsFabric> {
  // The Bus's `reconnect` options map onto the NATS client's own reconnection.
  const r = options.reconnect;
  return NatsFabric.connect(url, {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.maxFrameSize !== undefined ? { maxFrameSize: options.maxFrameSize } : {}),
    ...(options.maxStall !== undefined ? { maxStall: options.maxStall } : {}),
    // What may wait for a full subscriber: in the hub there, in this process here.
    ...(options.maxPendingBytes !== undefined ? { maxPausedBytes: options.maxPendingBytes } : {}),
    ...(r === false ? { maxReconnectAttempts: 0 } : {}),
    ...(r && r.bufferBytes !== undefined ? { reconnectBufferSize: Math.max(1, r.bufferBytes) } : {}),
    ...(r && r.maxWait !== undefined ? { maxStall: Math.max(1, r.maxWait) } : {}),
  });
}
