/** Case kind → link module, imported lazily so a broken case cannot stop the baselines. */
import type { CaseSpec, LinkFactory } from '../link.js';

export async function loadFactory(spec: CaseSpec): Promise<LinkFactory> {
  switch (spec.kind) {
    case 'net': return (await import('./net-msgpackr.js')).netMsgpackr;
    case 'ipc': return (await import('./child-ipc.js')).childIpc(spec.serialization ?? 'json');
    case 'bus': return (await import('./bus.js')).busLink;
    case 'transport': return (await import('./transport.js')).transportLink;
    case 'relay': throw new Error('relay cases run through bench/relay/, not a Link');
  }
}
