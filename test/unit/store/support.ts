import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageExtBrokerInner, decodeStoredMessages, type MessageExt } from '../../../src/protocol/message/index.js';
import { DefaultMessageStore, nodeStorageIO, type MessageStoreConfig, type StorageIO } from '../../../src/store/index.js';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rmq-store-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function message(topic: string, queueId: number, body: string, extra: { tags?: string; keys?: string; uniqKey?: string; wait?: boolean } = {}): MessageExtBrokerInner {
  const msg = new MessageExtBrokerInner();
  msg.topic = topic;
  msg.queueId = queueId;
  msg.body = Buffer.from(body);
  if (extra.tags !== undefined) msg.tags = extra.tags;
  if (extra.keys !== undefined) msg.keys = extra.keys;
  if (extra.uniqKey !== undefined) msg.putProperty('UNIQ_KEY', extra.uniqKey);
  if (extra.wait === false) msg.putProperty('WAIT', 'false');
  msg.bornTimestamp = 1_700_000_000_000;
  msg.bornHost = { address: '127.0.0.1', port: 40000 };
  msg.storeHost = { address: '127.0.0.1', port: 10911 };
  return msg;
}

/** Small segments so tests roll files: 4 KiB commit log, 10-entry consume queues, a tiny index. */
export const small: Partial<MessageStoreConfig> = {
  mappedFileSizeCommitLog: 4096,
  mappedFileSizeConsumeQueue: 200,
  maxHashSlotNum: 16,
  maxIndexNum: 40,
  flushIntervalCommitLog: 50,
  flushIntervalConsumeQueue: 50,
  cleanResourceInterval: 3_600_000,
};

export async function openStore(dir: string, config: Partial<MessageStoreConfig> = {}, io: StorageIO = nodeStorageIO, clock?: () => number): Promise<DefaultMessageStore> {
  const store = new DefaultMessageStore({ storePathRootDir: dir, ...small, ...config }, clock === undefined ? { io } : { io, clock });
  await store.start();
  return store;
}

export function bodies(buffers: Buffer[]): string[] {
  return decodeStoredMessages(Buffer.concat(buffers)).map((m: MessageExt) => m.body.toString());
}

/** A StorageIO whose calls can be replaced one by one (faults) and that counts fsyncs. */
export function faultyIO(): StorageIO & { faults: Partial<StorageIO> } {
  const faults: Partial<StorageIO> = {};
  const io = {} as StorageIO & { faults: Partial<StorageIO> };
  for (const key of Object.keys(nodeStorageIO) as (keyof StorageIO)[]) {
    (io as unknown as Record<string, unknown>)[key] = (...args: unknown[]) => {
      const table = { ...nodeStorageIO, ...faults } as unknown as Record<string, (...a: unknown[]) => unknown>;
      return table[key]!(...args);
    };
  }
  io.faults = faults;
  return io;
}

export function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}
