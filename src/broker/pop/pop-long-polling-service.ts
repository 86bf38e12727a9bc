/** What bounds the parked pops (BrokerConfig.maxPopPollingSize and popPollingSize). */
export interface PopPollingLimits {
  /** All parked pops together. */
  readonly maxPopPollingSize: number;
  /** Parked pops of one (topic, group, queueId) key. */
  readonly popPollingSize: number;
}

interface PolledRequest {
  readonly group: string;
  /** -1: any queue. */
  readonly queueId: number;
  readonly key: string;
  readonly wake: () => void;
}

/**
 * PopLongPollingService.java: pops that found nothing wait here until a message arrives in a topic they read
 * (the topic or the group's retry topic), an ack of a FIFO batch frees their queue, or their time is up. Beyond
 * the limits a pop is refused (POLLING_FULL) instead of parked.
 */
export class PopLongPollingService {
  /** topic -> parked pops reading it. */
  private readonly byTopic = new Map<string, Set<PolledRequest>>();
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: () => PopPollingLimits) {}

  /**
   * Parks a pop of `topics` for `group` until woken, `timeoutMillis` pass or `signal` aborts (the requester left: it
   * must not hold a place under the limits, nor be woken for a message nobody will take); undefined when the limits
   * refuse it. The promise always resolves (true: woken, false: timed out or aborted), and the request is forgotten.
   */
  polling(topics: readonly string[], group: string, queueId: number, timeoutMillis: number, signal?: AbortSignal): Promise<boolean> | undefined {
    const key = `${topics[0] ?? ''}@${group}@${queueId}`;
    const { maxPopPollingSize, popPollingSize } = this.limits();
    if (this.total >= maxPopPollingSize || (this.perKey.get(key) ?? 0) >= popPollingSize) return undefined;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const abort = (): void => finish(false);
      const finish = (woken: boolean): void => {
        if (timer === undefined) return;
        clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener('abort', abort);
        for (const topic of topics) this.byTopic.get(topic)?.delete(request);
        for (const topic of topics) if (this.byTopic.get(topic)?.size === 0) this.byTopic.delete(topic);
        const left = (this.perKey.get(key) ?? 1) - 1;
        if (left <= 0) this.perKey.delete(key);
        else this.perKey.set(key, left);
        this.total--;
        resolve(woken);
      };
      const request: PolledRequest = { group, queueId, key, wake: () => finish(true) };
      timer = setTimeout(() => finish(false), Math.max(0, timeoutMillis));
      for (const topic of topics) {
        let parked = this.byTopic.get(topic);
        if (parked === undefined) this.byTopic.set(topic, (parked = new Set()));
        parked.add(request);
      }
      this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
      this.total++;
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /**
   * PopLongPollingService.notifyMessageArriving: wakes the pops of `topic` reading `queueId` or all queues (of
   * `group` only, when given: a FIFO ack frees a queue for its own group).
   */
  notifyMessageArriving(topic: string, queueId: number, group?: string): void {
    const parked = this.byTopic.get(topic);
    if (parked === undefined) return;
    for (const request of [...parked]) {
      if ((request.queueId === -1 || request.queueId === queueId) && (group === undefined || request.group === group)) request.wake();
    }
  }

  /** Answers every parked pop now (shutdown): each finds what there is and returns. */
  wakeAll(): void {
    for (const parked of [...this.byTopic.values()]) for (const request of [...parked]) request.wake();
  }

  /** How many pops of `group` are parked on (topic, queueId) (POLLING_INFO). */
  pollingNumOf(topic: string, group: string, queueId: number): number {
    return this.perKey.get(`${topic}@${group}@${queueId}`) ?? 0;
  }

  /** How many pops are parked. */
  get pollingNum(): number {
    return this.total;
  }
}
