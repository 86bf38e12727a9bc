import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalFileOffsetStore } from '../../../../src/client/consumer/local-file-offset-store.js';
import { silentLogger } from '../../../../src/common/logger.js';

describe('LocalFileOffsetStore', () => {
  it('writes Java\'s OffsetSerializeWrapper under <dir>/<clientId>/<group>/offsets.json and reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-offsets-'));
    try {
      const mq = { topic: 'T', brokerName: 'b', queueId: 1 };
      const store = new LocalFileOffsetStore(dir, '127.0.0.1@inst', 'cg', silentLogger);
      await store.load();
      assert.equal(await store.readOffset(mq, 'READ_FROM_STORE'), -1);
      store.updateOffset(mq, 7, true);
      store.updateOffset(mq, 5, true);
      assert.equal(await store.readOffset(mq, 'READ_FROM_MEMORY'), 7, 'increaseOnly never moves back');
      await store.persistAll([mq]);
      assert.equal(store.storePath, join(dir, '127.0.0.1@inst', 'cg', 'offsets.json'));
      assert.equal(await readFile(store.storePath, 'utf8'), '{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:7}}');
      const again = new LocalFileOffsetStore(dir, '127.0.0.1@inst', 'cg', silentLogger);
      await again.load();
      assert.equal(await again.readOffset(mq, 'READ_FROM_MEMORY'), 7);
      assert.deepEqual(again.cloneOffsetTable('T'), [[mq, 7]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
