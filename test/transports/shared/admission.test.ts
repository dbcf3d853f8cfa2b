/**
 * Admission reports (the `AdmissionReporter` capability's helper): a burst of refusals becomes
 * the first at once and one more standing for the rest, not an event per refused client; causes
 * that are the hub running out of something are `LimitError`s, typed refusals keep their code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LimitError, PermissionDeniedError, UnibusError } from '../../../src/errors.js';
import { AdmissionReports, admissionError } from '../../../src/transports/shared/admission.js';
import { until } from '../../helpers/watchdog.js';

const emfile = Object.assign(new Error('EMFILE: open failed (errno=24)'), { code: 'EMFILE' });

test('a burst of five refusals: the first at once, then one that stands for the other four', async () => {
  const heard: Error[] = [];
  const reports = new AdmissionReports();
  reports.listen((err) => heard.push(err));
  for (let i = 1; i <= 5; i++) reports.report(admissionError('shm://x', `client c${i}`, emfile));
  assert.is(heard.length, 1);
  assert.match(heard[0]!.message, /client c1:/);
  await until('the rest of the burst is reported', () => heard.length === 2, 10_000);
  assert.match(heard[1]!.message, /client c5: .*the last of 4 admission failures in one second/);
});

test('what a refusal is: LimitError for exhaustion, its own code for a typed cause, else a protocol error', () => {
  const limit = admissionError('fifo:///d', 'client pid=7', emfile);
  assert.instance(limit, LimitError);
  assert.match(limit.message, /open files of the hub process \(RLIMIT_NOFILE\): fifo:\/\/\/d could not admit client pid=7: EMFILE/);
  const typed = admissionError('shm://x', 'client c1', new PermissionDeniedError('segment owned by uid=65534'));
  assert.is(typed.code, 'ERR_UNIBUS_PERMISSION');
  assert.match(typed.message, /shm:\/\/x refused client c1: Permission denied: segment owned/);
  const other = admissionError('shm://x', 'client c2', new Error('bad header'));
  assert.instance(other, UnibusError);
  assert.is(other.code, 'ERR_UNIBUS_PROTOCOL');
});

test('a client whose own objects are gone (ENOENT: it left) is refused without a report', () => {
  const heard: Error[] = [];
  const reports = new AdmissionReports();
  reports.listen((err) => heard.push(err));
  const gone = Object.assign(new Error("ENOENT: open '/dev/shm/x' failed"), { code: 'ENOENT' });
  const err = reports.refuse('shm://x', 'client c9', gone);
  assert.is(err.code, 'ERR_UNIBUS_PROTOCOL');
  assert.is(heard.length, 0);
  reports.refuse('shm://x', 'client c10', emfile);
  assert.is(heard.length, 1);
});

test.run();
