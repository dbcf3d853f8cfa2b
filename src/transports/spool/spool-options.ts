/**
 * Options of the `file://` spool, from URL query parameters or code:
 * `file:///var/spool/app?consumer=worker-1&sync=batch&segmentSize=16MiB&maxFrameSize=1MiB`.
 * @module
 */
import { InvalidUrlError } from '../../errors.js';
import { commonOptions, parseSize, parseUrl, urlPath, validateName } from '../shared/url.js';
import type { TransportOptions } from '../transport.js';
import type { Corruption } from './log-reader.js';

export interface SpoolOptions {
  dir: string;
  /** The client's durable name (`?consumer=`); undefined: an anonymous, one-session client. */
  consumer: string | undefined;
  /** `true` (`?sync=batch`): fsync every batch before `send()` resolves; false (default): page cache. */
  sync: boolean;
  segmentSize: number;
  /** `send()` waits while the peer has more than this many unhandled bytes (`?maxBacklog=`, default 64 MiB). */
  maxBacklog: number;
  maxFrameSize: number;
  mode: number;
  onCorrupt: (c: Corruption) => void;
  /**
   * Code only (`handBackUnsent: true`; a Bus sets it): when a new hub finds this client's session
   * served by an earlier hub, it does not continue it (it has none of that hub's state); the
   * client ends the session and hands back, in `closed.unsent`, the frames no hub took.
   * Without it (raw transport use) the new hub continues the session and delivers them.
   */
  handBack: boolean;
}

function defaultOnCorrupt(c: Corruption): void {
  process.emitWarning(`unibus spool: skipped ${c.skipped} corrupt byte(s) at position=${c.position} segment=${c.segment} offset=${c.fileOffset} log=${c.log}`, 'UnibusSpoolCorruption');
}

export function spoolOptions(url: string, options: TransportOptions = {}): SpoolOptions {
  const dir = urlPath(url, 'file');
  const q = parseUrl(url, 'file').searchParams;
  const { maxFrameSize, mode } = commonOptions(url, options);
  const consumerText = q.get('consumer') ?? (options.consumer as string | undefined);
  const consumer = consumerText === undefined ? undefined : validateName(consumerText, url);
  const syncText = q.get('sync') ?? (options.sync === undefined ? undefined : String(options.sync));
  let sync = false;
  if (syncText !== undefined) {
    if (['batch', 'true', '1', 'fsync'].includes(syncText)) sync = true;
    else if (['none', 'false', '0', 'page-cache'].includes(syncText)) sync = false;
    else throw new InvalidUrlError(url, `sync must be batch or none (got ${syncText})`);
  }
  const segText = q.get('segmentSize');
  const segmentSize = segText !== null ? parseSize(segText, url, 'segmentSize') : (options.segmentSize as number | undefined) ?? 16 * 1024 * 1024;
  if (!Number.isSafeInteger(segmentSize) || segmentSize < 4096) throw new InvalidUrlError(url, `segmentSize must be at least 4096 (got ${segmentSize})`);
  const backlogText = q.get('maxBacklog');
  const maxBacklog = backlogText !== null ? parseSize(backlogText, url, 'maxBacklog') : (options.maxBacklog as number | undefined) ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(maxBacklog) || maxBacklog < 1) throw new InvalidUrlError(url, `maxBacklog must be a positive size (got ${maxBacklog})`);
  const onCorrupt = typeof options.onCorrupt === 'function' ? options.onCorrupt as (c: Corruption) => void : defaultOnCorrupt;
  const handBack = options.handBackUnsent === true;
  return { dir, consumer, sync, segmentSize, maxBacklog, maxFrameSize, mode, onCorrupt, handBack };
}
