/**
 * The batch agreement (src/zero-copy/batch-agreement.ts) against what a hub can answer: only the
 * hub's `{ batch: 1 }` agrees. A hub of earlier code has nobody on `$zc.batch` and answers the
 * request with an empty no-responders PUB on the reply topic, which must not count as a yes
 * (that bus would then send batches the old hub routes as ordinary messages). A hub of earlier
 * code cannot be started here, so its answer is fed as the fabric would deliver it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WireHandler, WireMessage } from '../../src/bus/fabric.js';
import { STATUS_HEADER, STATUS_NO_RESPONDERS } from '../../src/bus/fabric.js';
import { msgpackCodec } from '../../src/codecs/index.js';
import { BatchAgreement } from '../../src/zero-copy/batch-agreement.js';
import { BATCH_TOPIC } from '../../src/zero-copy/batch.js';

function agreementWithHost(): { agreement: BatchAgreement; asked: WireMessage[]; answer(w: Partial<WireMessage>): void } {
  let handler: WireHandler | undefined;
  const asked: WireMessage[] = [];
  const agreement = new BatchAgreement({
    subscribe: (_pattern, h) => { handler = h; return { unsubscribe: () => undefined }; },
    publish: (w) => { asked.push(w); return undefined; },
    replyTopic: '_ZC.b1.batch',
  });
  return { agreement, asked, answer: (w) => handler!({ topic: '_ZC.b1.batch', codec: 0, payload: new Uint8Array(0), ...w } as WireMessage) };
}

test('only { batch: 1 } agrees: a no-responders reply (a hub of earlier code) does not; a new connection asks again', () => {
  const { agreement, asked, answer } = agreementWithHost();
  agreement.want();
  assert.is(asked.length, 1);
  assert.is(asked[0]!.topic, BATCH_TOPIC);
  assert.is(asked[0]!.replyTo, '_ZC.b1.batch');
  answer({ codec: 0, payload: new Uint8Array(0), headers: { [STATUS_HEADER]: STATUS_NO_RESPONDERS } });
  assert.not.ok(agreement.agreed, 'no-responders is not a yes');
  answer({ codec: msgpackCodec.id, payload: msgpackCodec.encode({ lane: 3 }) });
  assert.not.ok(agreement.agreed, 'another map is not a yes');
  answer({ codec: msgpackCodec.id, payload: msgpackCodec.encode({ batch: 1 }) });
  assert.ok(agreement.agreed, 'the hub said yes');
  agreement.disconnected();
  assert.not.ok(agreement.agreed, 'a lost connection forgets it');
  agreement.reconnected();
  assert.is(asked.length, 2, 'asked again on the new connection');
  answer({ codec: msgpackCodec.id, payload: msgpackCodec.encode({ batch: 1 }) });
  assert.ok(agreement.agreed);
  agreement.close();
});

test.run();
