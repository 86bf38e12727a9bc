import type { BrokerMessageStore } from '../../../src/broker/broker-message-store.js';
import type { GetMessageResult, MessageArrivingListener, PutMessageResult, QueryMessageResult, StorageMetrics } from '../../../src/store/message-store.js';
import type { ConfigStore } from '../../../src/broker/config-store.js';
import type { CqUnit } from '../../../src/store/consume-queue.js';

/** A ConfigStore in memory, counting writes. */
export class MemoryConfigStore implements ConfigStore {
  readonly files = new Map<string, string>();
  writes = 0;

  load<T>(name: string, decode: (text: string) => T): Promise<T | undefined> {
    const text = this.files.get(name);
    return Promise.resolve(text === undefined ? undefined : decode(text));
  }

  persist(name: string, text: string): Promise<void> {
    this.writes++;
    this.files.set(name, text);
    return Promise.resolve();
  }
}

/** A message store with settable answers. */
export class FakeMessageStore implements BrokerMessageStore {
  minOffset = 0;
  headInMemory = false;
  started = 0;
  stopped = 0;
  readonly deleted: string[] = [];
  runtimeInfo = new Map<string, string>();

  start(): Promise<void> {
    this.started++;
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.stopped++;
    return Promise.resolve();
  }
  getMinOffsetInQueue(): number {
    return this.minOffset;
  }
  checkInMemByConsumeOffset(): boolean {
    return this.headInMemory;
  }
  deleteTopics(topics: ReadonlySet<string>): void {
    this.deleted.push(...topics);
  }
  getRuntimeInfo(): Map<string, string> {
    return this.runtimeInfo;
  }
  storageMetrics(): StorageMetrics {
    return { storageSizeBytes: undefined, flushBehindBytes: 0, dispatchBehindBytes: 0, earliestMessageTime: 0 };
  }
  /** Sends are refused: these tests do not store messages. */
  putMessage(): Promise<PutMessageResult> {
    return Promise.resolve({ status: 'SERVICE_NOT_AVAILABLE' });
  }
  putMessages(): Promise<PutMessageResult> {
    return Promise.resolve({ status: 'SERVICE_NOT_AVAILABLE' });
  }
  getMessage(): GetMessageResult {
    const status = 'NO_MATCHED_LOGIC_QUEUE';
    return { status, nextBeginOffset: 0, minOffset: 0, maxOffset: 0, messageBuffers: [], messageCount: 0, bufferTotalSize: 0, suggestPullingFromSlave: false };
  }
  getMaxOffsetInQueue(): number {
    return 0;
  }
  getOffsetInQueueByTime(): number {
    return 0;
  }
  getEarliestMessageTime(): number {
    return -1;
  }
  getMessageStoreTimeStamp(): number {
    return -1;
  }
  getCommitLogOffsetInQueue(): number {
    return 0;
  }
  selectOneMessageByOffset(): null {
    return null;
  }
  lookMessageByOffset(): null {
    return null;
  }
  iterateConsumeQueue(): CqUnit[] {
    return [];
  }
  readonly delayLevelTable = new Map([[1, 1000]]);
  queryMessage(): QueryMessageResult {
    return { messages: [], indexLastUpdateTimestamp: 0, indexLastUpdatePhyoffset: 0 };
  }
  setMessageArrivingListener(listener: MessageArrivingListener): void {
    this.listener = listener;
  }
  listener: MessageArrivingListener | undefined;
}
