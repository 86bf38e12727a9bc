import type { BrokerMessageStore } from '../../../src/broker/broker-message-store.js';
import type { ConfigStore } from '../../../src/broker/config-store.js';

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
}
