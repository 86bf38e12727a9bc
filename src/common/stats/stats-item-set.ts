import { StatsItem, type StatsWindow } from './stats-item.js';

/**
 * StatsItemSet.java: the items of one statistic (TOPIC_PUT_NUMS, GROUP_GET_SIZE, ...) by Java's stats key. Keys of
 * two parts (`topic@group`, `topic@queueId`) are also indexed part by part, so the send and pull paths find their
 * item with two map lookups and never build the key string after the item exists.
 */
export class StatsItemSet {
  private readonly items = new Map<string, StatsItem>();
  private readonly pairs = new Map<string, Map<string | number, StatsItem>>();

  constructor(readonly statsName: string) {}

  /** getAndCreateStatsItem for a one-part key (a topic, the cluster name). */
  item(key: string): StatsItem {
    let item = this.items.get(key);
    if (item === undefined) {
      item = new StatsItem();
      this.items.set(key, item);
    }
    return item;
  }

  /** getAndCreateStatsItem for `first@second` (topic@group, topic@queueId). */
  pairItem(first: string, second: string | number): StatsItem {
    let inner = this.pairs.get(first);
    if (inner === undefined) {
      inner = new Map();
      this.pairs.set(first, inner);
    }
    let item = inner.get(second);
    if (item === undefined) {
      item = new StatsItem();
      inner.set(second, item);
      this.items.set(`${first}@${second}`, item);
    }
    return item;
  }

  /** getStatsItem: by Java's key, undefined when nothing was counted under it. */
  get(key: string): StatsItem | undefined {
    return this.items.get(key);
  }

  entries(): IterableIterator<[string, StatsItem]> {
    return this.items.entries();
  }

  /** The pair items as [first, second, item] (the metrics endpoint labels them by part). */
  *pairEntries(): Generator<[string, string | number, StatsItem]> {
    for (const [first, inner] of this.pairs) for (const [second, item] of inner) yield [first, second, item];
  }

  sample(window: StatsWindow, now: number): void {
    for (const item of this.items.values()) item.sample(window, now);
  }

  /** delValue, and delValueByPrefixKey(first, "@"): a deleted topic's items go. */
  deleteFirst(first: string): void {
    this.items.delete(first);
    const inner = this.pairs.get(first);
    if (inner === undefined) return;
    for (const second of inner.keys()) this.items.delete(`${first}@${second}`);
    this.pairs.delete(first);
  }

  /** delValueBySuffixKey(second, "@"): a deleted group's items go. */
  deleteSecond(second: string): void {
    for (const [first, inner] of this.pairs) {
      if (!inner.delete(second)) continue;
      this.items.delete(`${first}@${second}`);
      if (inner.size === 0) this.pairs.delete(first);
    }
  }
}
