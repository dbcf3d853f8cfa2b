/**
 * unibus: one typed message bus for Node.js over every Linux IPC mechanism.
 *
 * @example
 * ```ts
 * import { Bus } from 'unibus';
 * const bus = await Bus.connect('unix:///tmp/app.sock');
 * bus.subscribe('orders.>').subscribe((m) => console.log(m.topic, m.data));
 * await bus.publish('orders.created', { id: 1 });
 * ```
 * @module
 */
export { Bus, type BusOptions, type DrainOptions, type PublishOptions, type RequestOptions } from './bus/bus.js';
export { Subscription, type SubscribeOptions } from './bus/subscription.js';
export { BroadcastChannel, type BroadcastChannelOptions } from './bus/broadcast-channel.js';
export type { ReconnectOptions } from './bus/hub/reconnect.js';
export type { BusEvent, BusEventType, BusStats, OverflowPolicy } from './bus/events.js';
export type {
  Message, TopicMap, ServiceMap, SysTopics, Validator, TopicsMatching, PatternPayload, PayloadOf,
} from './bus/types.js';
export type { Fabric, FabricStatus, PeerDescription, WireMessage } from './bus/fabric.js';
export { checkTopic, checkPattern, matches } from './bus/subjects/grammar.js';
export { Bridge, BRIDGE_HEADER, type BridgeOptions, type BridgeStats } from './bus/bridge.js';
export * from './errors.js';
export { msgpackCodec, jsonCodec, rawCodec, registerCodec, CodecId, type Codec, type CodecName } from './codecs/index.js';
export { transportFor, registerTransport, transportSchemes, schemeOf } from './transports/registry.js';
export type {
  Transport, Connection, Listener, Capabilities, Closed, CloseReason, PeerInfo, TransportOptions,
  SpawnClientOptions, SpawnedClient, SpawnStdio,
} from './transports/transport.js';
export { DEFAULT_MAX_FRAME_SIZE } from './transports/transport.js';
export { signals, type ObservableSignal, type ReceivedSignal } from './process/signals.js';
export { heartbeat, type Heartbeat, type HeartbeatOptions, HEARTBEAT_FD_ENV } from './process/heartbeat.js';
export { Supervisor } from './process/supervisor/index.js';
export type {
  SupervisorOptions, SupervisorEvent, SupervisorEventType, ChildSpec, RestartPolicy, RestartStrategy, SupervisorBus,
} from './process/supervisor/index.js';
export { FileLock, withLock } from './sync/file-lock.js';
export { Semaphore } from './sync/semaphore.js';
export { LivenessLock } from './sync/liveness-lock.js';
export { lockHolders } from './sync/lock-holders.js';
export { destroySpool } from './transports/spool/destroy.js';
export {
  HubPolicy, decide, rightsFor, type HubPolicyOptions, type PolicyDocument, type PolicyEntry, type PolicyLists,
  type PolicyAction, type Decision, type PeerIdentity, type PeerRights,
} from './bus/policy/index.js';
export { Sample, type SampleMessage, type LoanOptions } from './zero-copy/sample.js';
