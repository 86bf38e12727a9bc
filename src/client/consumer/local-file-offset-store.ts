import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { asObject, optObject, parseJsonBody } from '../../protocol/bodies/json-fields.js';
import { decodeMessageQueueMap, encodeMessageQueueMap, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import { OffsetTable, type OffsetStore, type ReadOffsetType } from './offset-store.js';

/** Java's default root, rocketmq.client.localOffsetStoreDir. */
export const DEFAULT_LOCAL_OFFSET_STORE_DIR = join(homedir(), '.rocketmq_offsets');

/**
 * LocalFileOffsetStore.java (broadcasting: every client consumes everything, so the offsets are its own). This is
 * the only place the client library writes a file: <dir>/<clientId>/<group>/offsets.json, in Java's format
 * (OffsetSerializeWrapper), written to a temporary file and renamed so a crash never leaves half a file.
 */
export class LocalFileOffsetStore extends OffsetTable implements OffsetStore {
  readonly storePath: string;

  constructor(
    storeDir: string,
    clientId: string,
    group: string,
    private readonly logger: Logger,
  ) {
    super();
    this.storePath = join(storeDir, clientId.replace(/[\\/:]/g, '_'), group, 'offsets.json');
  }

  async load(): Promise<void> {
    for (const [mq, offset] of await this.readFile()) this.updateOffset(mq, offset, false);
  }

  async readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    const memory = this.memoryOffset(mq);
    if (type === 'READ_FROM_MEMORY' || (type === 'MEMORY_FIRST_THEN_STORE' && memory !== undefined)) return memory ?? -1;
    const stored = (await this.readFile()).find(([m]) => m.topic === mq.topic && m.brokerName === mq.brokerName && m.queueId === mq.queueId);
    if (stored === undefined) return -1;
    this.updateOffset(mq, stored[1], false);
    return stored[1];
  }

  async persistAll(mqs: readonly MessageQueue[]): Promise<void> {
    if (mqs.length === 0) return;
    const entries = [...this.table.values()].map((e) => [e.mq, e.offset] as const);
    const text = `{"offsetTable":${encodeMessageQueueMap(entries)}}`;
    try {
      await mkdir(dirname(this.storePath), { recursive: true });
      const tmp = `${this.storePath}.tmp`;
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, this.storePath);
    } catch (err) {
      this.logger.warn(`writing ${this.storePath} failed`, err);
    }
  }

  /** Java persists one queue as part of the whole file. */
  persist(): Promise<void> {
    return this.persistAll([...this.table.values()].map((e) => e.mq));
  }

  private async readFile(): Promise<[MessageQueue, number][]> {
    let text: string;
    try {
      text = await readFile(this.storePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const what = 'OffsetSerializeWrapper';
    const obj = asObject(parseJsonBody(text, what), what);
    return decodeMessageQueueMap(optObject(obj, 'offsetTable', what) ?? {}, `${what}.offsetTable`, (v) => Number(v));
  }
}
