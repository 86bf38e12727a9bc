import type { Logger } from '../../common/logger.js';
import type { ConsumerOffsetSerializeWrapper } from '../../protocol/bodies/consumer-offset-serialize-wrapper.js';
import type { ConsumerOffsetManager } from '../offset/consumer-offset-manager.js';
import { MASTER_ID } from './broker-role.js';

/** What a returning master asks: its group's replicas (name server) and their offsets (each slave). */
export interface PreOnlineSource {
  getBrokerGroupAddrs(brokerName: string): Promise<Map<number, string>>;
  getAllConsumerOffset(addr: string): Promise<ConsumerOffsetSerializeWrapper>;
}

export interface PreOnlineOptions {
  source: PreOnlineSource;
  brokerName: string;
  brokerAddr: string;
  consumerOffsetManager: Pick<ConsumerOffsetManager, 'mergeHigherFromSlave' | 'persist'>;
  /** One past the last consume-queue offset we hold: an offset beyond it is not ours to take. */
  maxOffsetInQueue: (topic: string, queueId: number) => number;
  logger: Logger;
}

/**
 * P7, the reverse of SlaveSynchronize for consumer offsets, done by a master before it registers (as 5.x
 * BrokerPreOnlineService.syncMetadataReverse does in acting-master mode, with 4.x requests): while it was away
 * consumers may have committed to its slaves (Java 5.3.3 clients commit to any replica); taking each queue's higher
 * offset, where our log reaches it, keeps the slave's next sync from rolling them back (issue #1094). A slave that
 * does not answer is logged and skipped: the master starts anyway.
 */
export async function mergeOffsetsFromSlaves(options: PreOnlineOptions): Promise<void> {
  const { source, brokerName, brokerAddr, logger } = options;
  let replicas: Map<number, string>;
  try {
    replicas = await source.getBrokerGroupAddrs(brokerName);
  } catch (err) {
    logger.warn(`could not list the replicas of ${brokerName}: consumer offsets not merged from slaves`, err);
    return;
  }
  let moved = 0;
  for (const [id, addr] of replicas) {
    if (id === MASTER_ID || addr === brokerAddr) continue;
    try {
      const wrapper = await source.getAllConsumerOffset(addr);
      const merged = options.consumerOffsetManager.mergeHigherFromSlave(wrapper, (topic, queueId, offset) => offset <= options.maxOffsetInQueue(topic, queueId));
      if (merged > 0) logger.info(`took ${merged} higher consumer offsets from slave ${addr}`);
      moved += merged;
    } catch (err) {
      logger.warn(`reading the consumer offsets of slave ${addr} failed; not merged`, err);
    }
  }
  if (moved > 0) await options.consumerOffsetManager.persist();
}
