import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32, crc32Masked } from '../../../src/common/crc32.js';
import { formatJavaProperties, parseJavaProperties } from '../../../src/common/java-properties.js';
import {
  NamesrvConfigError,
  RUNTIME_UPDATABLE_KEYS,
  applyNamesrvProperties,
  defaultNamesrvConfig,
  formatNamesrvConfig,
} from '../../../src/namesrv/config.js';
import { KVConfigManager } from '../../../src/namesrv/kv-config-manager.js';

describe('KVConfigManager', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-kv-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('persists kvConfig.json in Java format with a .bak of the previous content, and reloads it', async () => {
    const path = join(dir, 'a', 'kvConfig.json');
    const kv = new KVConfigManager(path);
    await kv.load();
    await kv.putKVConfig('ORDER_TOPIC_CONFIG', 'TopicOrder', 'broker-a:4');
    assert.equal(await readFile(path, 'utf8'), '{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicOrder":"broker-a:4"}}}');
    await kv.putKVConfig('ns', 'k', 'v');
    assert.equal(await readFile(`${path}.bak`, 'utf8'), '{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicOrder":"broker-a:4"}}}');
    await kv.deleteKVConfig('ORDER_TOPIC_CONFIG', 'TopicOrder');

    const reloaded = new KVConfigManager(path);
    await reloaded.load();
    assert.equal(reloaded.getKVConfig('ns', 'k'), 'v');
    assert.equal(reloaded.getKVConfig('ORDER_TOPIC_CONFIG', 'TopicOrder'), undefined);
    assert.deepEqual(reloaded.getKVListByNamespace('ORDER_TOPIC_CONFIG'), new Map());
    assert.equal(reloaded.getKVListByNamespace('never'), undefined);
  });

  it('keeps concurrent changes in order on disk', async () => {
    const path = join(dir, 'b', 'kvConfig.json');
    const kv = new KVConfigManager(path);
    await kv.load();
    await Promise.all(Array.from({ length: 20 }, (_, i) => kv.putKVConfig('ns', `k${i}`, String(i))));
    const reloaded = new KVConfigManager(path);
    await reloaded.load();
    assert.equal(reloaded.getKVListByNamespace('ns')?.size, 20);
  });

  it('falls back to the .bak when kvConfig.json is damaged, and refuses to start on a damaged file without one', async () => {
    const path = join(dir, 'c', 'kvConfig.json');
    const kv = new KVConfigManager(path);
    await kv.load();
    await kv.putKVConfig('ns', 'k', 'old');
    await kv.putKVConfig('ns', 'k', 'new');
    await writeFile(path, '{"configTable":{"ns":{"k":"ne');
    const recovered = new KVConfigManager(path);
    await recovered.load();
    assert.equal(recovered.getKVConfig('ns', 'k'), 'old');

    const lonely = join(dir, 'd-kvConfig.json');
    await writeFile(lonely, 'garbage');
    await assert.rejects(new KVConfigManager(lonely).load(), /cannot load the KV config/);
  });
});

describe('NamesrvConfig', () => {
  it("has Java's defaults and formats them as Java's sorted key=value lines", () => {
    const config = defaultNamesrvConfig('/home/u', '/opt/rocketmq');
    assert.equal(config.kvConfigPath, join('/home/u', 'namesrv', 'kvConfig.json'));
    assert.equal(config.scanNotActiveBrokerInterval, 5000);
    const text = formatNamesrvConfig(config);
    assert.match(text, /^bindAddress=0\.0\.0\.0\n/);
    assert.match(text, /\nlistenPort=9876\n/);
    assert.match(text, /\nrocketmqHome=\/opt\/rocketmq\n/);
    const keys = text.trim().split('\n').map((l) => l.split('=')[0] as string);
    assert.deepEqual(keys, [...keys].sort());
  });

  it('applies properties with type checks, all or nothing, and reports unknown keys', () => {
    const base = defaultNamesrvConfig('/h');
    const { config, unknown } = applyNamesrvProperties(base, new Map([['listenPort', '9999'], ['orderMessageEnable', 'TRUE'], ['kvConfigPath', '/x/kv.json'], ['foo', '1']]));
    assert.deepEqual([config.listenPort, config.orderMessageEnable, config.kvConfigPath, unknown], [9999, true, '/x/kv.json', ['foo']]);
    assert.throws(() => applyNamesrvProperties(base, new Map([['listenPort', 'abc']])), /must be a non-negative integer/);
    assert.throws(() => applyNamesrvProperties(base, new Map([['enableTopicList', 'yes']])), /must be true or false/);
    assert.equal(base.listenPort, 9876);
  });

  it('never lets a runtime update touch paths, the home directory or unknown keys', () => {
    const base = defaultNamesrvConfig('/h');
    for (const key of ['rocketmqHome', 'kvConfigPath', 'configStorePath', 'configBlackList', 'listenPort', 'whatever']) {
      assert.equal(RUNTIME_UPDATABLE_KEYS.has(key as never), false);
      assert.throws(
        () => applyNamesrvProperties(base, new Map([['orderMessageEnable', 'true'], [key, '/tmp/evil']]), RUNTIME_UPDATABLE_KEYS),
        (err: unknown) => err instanceof NamesrvConfigError && err.forbidden && err.message.includes(key),
      );
    }
    const { config } = applyNamesrvProperties(base, new Map([['orderMessageEnable', 'true']]), RUNTIME_UPDATABLE_KEYS);
    assert.equal(config.orderMessageEnable, true);
  });
});

describe('java.util.Properties text', () => {
  it('reads comments, separators, continuations and escapes as Properties.load does', () => {
    const text = [
      '# a comment',
      '! another',
      '  listenPort = 9877',
      'rocketmqHome:/opt/rmq',
      'key\\ with\\ spaces value with spaces',
      'long = one, \\',
      '       two',
      'unicode=caf\\u00e9\\tx',
      'empty',
      'listenPort=9878',
      '',
    ].join('\r\n');
    const props = parseJavaProperties(text);
    assert.deepEqual(Object.fromEntries(props), {
      listenPort: '9878',
      rocketmqHome: '/opt/rmq',
      'key with spaces': 'value with spaces',
      long: 'one, two',
      unicode: 'café\tx',
      empty: '',
    });
    assert.throws(() => parseJavaProperties('a=\\u12'), /malformed/);
  });

  it('writes sorted key=value lines', () => {
    assert.equal(formatJavaProperties([['b', '2'], ['a', '1']]), 'a=1\nb=2\n');
  });
});

describe('crc32', () => {
  it('matches java.util.zip.CRC32, and UtilAll.crc32 masks the sign bit', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32Masked(Buffer.from('123456789')), 0xcbf43926 & 0x7fffffff);
    assert.equal(crc32Masked(undefined), 0);
  });
});
