import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../../src/broker/broker-config.js';
import { ConfigFileStore } from '../../../src/broker/config-file-store.js';
import { TopicConfigManager } from '../../../src/broker/topic/topic-config-manager.js';

describe('ConfigFileStore', () => {
  it('writes <dir>/topics.json with a .bak, and loads the .bak when the file is damaged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-broker-config-'));
    try {
      const configStore = new ConfigFileStore(join(dir, 'config'));
      const brokerConfig = (): ReturnType<typeof defaultBrokerConfig> => defaultBrokerConfig(dir);
      const manager = new TopicConfigManager({ brokerConfig, configStore });
      manager.createTopicInSendMessageBackMethod('First', 1, 6, false, 0);
      await manager.persist();
      manager.createTopicInSendMessageBackMethod('Second', 1, 6, false, 0);
      await manager.persist();
      assert.match(await readFile(join(dir, 'config', 'topics.json.bak'), 'utf8'), /"First"/);
      await writeFile(join(dir, 'config', 'topics.json'), '{"topicConfigTable":');
      const reloaded = new TopicConfigManager({ brokerConfig, configStore });
      await reloaded.load();
      assert.ok(reloaded.containsTopic('First'));
      assert.equal(reloaded.containsTopic('Second'), false, 'the previous version');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
