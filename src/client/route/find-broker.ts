/** MixAll.MASTER_ID. */
export const MASTER_ID = 0;

/** FindBrokerResult.java: where a consumer's request goes, and whether that is a slave. */
export interface FindBrokerResult {
  readonly brokerAddr: string;
  readonly slave: boolean;
}

/**
 * MQClientInstance.findBrokerAddressInSubscribe, Java's order: the exact id; for a slave id, the next id (a
 * group's second slave); then, unless onlyThisBroker, any replica the route names (Java takes the first HashMap
 * entry, which for small Long keys is the lowest id). The last step is how consumers reach a slave once the
 * master has left the route.
 */
export function findBrokerInSubscribe(addrs: ReadonlyMap<number, string> | undefined, brokerId: number, onlyThisBroker: boolean): FindBrokerResult | undefined {
  if (addrs === undefined || addrs.size === 0) return undefined;
  const exact = addrs.get(brokerId);
  if (exact !== undefined) return { brokerAddr: exact, slave: brokerId !== MASTER_ID };
  if (brokerId !== MASTER_ID) {
    const next = addrs.get(brokerId + 1);
    if (next !== undefined) return { brokerAddr: next, slave: true };
  }
  if (onlyThisBroker) return undefined;
  const lowest = Math.min(...addrs.keys());
  const any = addrs.get(lowest);
  return any === undefined ? undefined : { brokerAddr: any, slave: lowest !== MASTER_ID };
}
