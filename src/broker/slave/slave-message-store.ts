import type { BrokerMessageStore } from '../broker-message-store.js';
import type { PutMessageResult } from '../../store/message-store.js';

const REFUSED: PutMessageResult = { status: 'SERVICE_NOT_AVAILABLE' };

/**
 * The store as a slave's broker sees it: every put (sends, replies, send-backs, POP checkpoints, transaction op
 * records) is refused with SERVICE_NOT_AVAILABLE, as Java's DefaultMessageStore.checkStoreStatus refuses them on a
 * SLAVE. A slave's log is a byte copy of its master's, filled only by replication: one local write would make
 * every later replicated frame land at the wrong offset. Reads pass through unchanged.
 */
export function slaveMessageStore(store: BrokerMessageStore): BrokerMessageStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'putMessage' || property === 'putMessages') return () => Promise.resolve(REFUSED);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
