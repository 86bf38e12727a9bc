import { totalmem } from 'node:os';
import { DefaultMessageStore } from '../store/default-message-store.js';
import type { BrokerMessageStore } from './broker-message-store.js';

/**
 * DefaultMessageStore with the two broker-facing queries the store does not answer itself yet:
 * checkInMemByConsumeOffset (5.x: is the entry's record within the share of RAM counted as hot?) and the
 * store's runtime figures. Both only read the store's public state.
 */
export class DefaultBrokerMessageStore extends DefaultMessageStore implements BrokerMessageStore {
  checkInMemByConsumeOffset(topic: string, queueId: number, consumeOffset: number): boolean {
    if (consumeOffset >= this.getMaxOffsetInQueue(topic, queueId)) return false;
    const phyOffset = this.getCommitLogOffsetInQueue(topic, queueId, consumeOffset);
    const memory = totalmem() * (this.config.accessMessageInMemoryMaxRatio / 100);
    return this.getMaxPhyOffset() - phyOffset <= memory;
  }

  getRuntimeInfo(): Map<string, string> {
    return new Map([
      ['commitLogMinOffset', String(this.getMinPhyOffset())],
      ['commitLogMaxOffset', String(this.getMaxPhyOffset())],
    ]);
  }
}
