/**
 * Per-user topic permissions on a shared hub (docs/security.md).
 * @module
 */
export { HubPolicy, type HubPolicyOptions } from './hub-policy.js';
export { decide, rightsFor, NO_RULE } from './decide.js';
export type {
  PolicyDocument, PolicyEntry, PolicyLists, PolicyAction, Decision, PeerIdentity, PeerRights, Rule,
} from './types.js';
