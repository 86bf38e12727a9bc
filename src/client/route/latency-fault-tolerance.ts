/** One broker's record (LatencyFaultToleranceImpl.FaultItem). */
interface FaultItem {
  currentLatency: number;
  /** Unavailable until this time (ms). */
  startTimestamp: number;
  reachable: boolean;
}

/**
 * LatencyFaultToleranceImpl without the detector thread (startDetectorEnable, off by default in Java): brokers
 * that answered slowly or failed are unavailable for a while; unreachable ones stay out until a send to them
 * succeeds again.
 */
export class LatencyFaultTolerance {
  private readonly faultItemTable = new Map<string, FaultItem>();

  constructor(private readonly now: () => number = Date.now) {}

  updateFaultItem(name: string, currentLatency: number, notAvailableDuration: number, reachable: boolean): void {
    let item = this.faultItemTable.get(name);
    if (item === undefined) {
      item = { currentLatency, startTimestamp: 0, reachable };
      this.faultItemTable.set(name, item);
    }
    item.currentLatency = currentLatency;
    item.reachable = reachable;
    const until = this.now() + notAvailableDuration;
    // An isolation never shortens one already in force.
    if (notAvailableDuration > 0 && until > item.startTimestamp) item.startTimestamp = until;
  }

  isAvailable(name: string): boolean {
    const item = this.faultItemTable.get(name);
    return item === undefined || this.now() >= item.startTimestamp;
  }

  isReachable(name: string): boolean {
    return this.faultItemTable.get(name)?.reachable ?? true;
  }
}
