/** Java's MessageStoreConfig.messageDelayLevel: the delay of levels 1..18. */
export const DEFAULT_MESSAGE_DELAY_LEVEL = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

/** Java's units, plus `ms` (ours), so tests and local setups can make every level short. */
const TIME_UNITS: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);

/**
 * DefaultMessageStore.parseDelayLevel / ScheduleMessageService.parseDelayLevel: level (1-based) -> delay in ms,
 * from space-separated `<number><unit>` items. Throws naming the bad item (Java logs and keeps a partial table).
 */
export function parseDelayLevel(levelString: string): Map<number, number> {
  const table = new Map<number, number>();
  const items = levelString.trim().split(/\s+/);
  for (const [i, item] of items.entries()) {
    const match = /^(\d{1,12})(ms|s|m|h|d)$/.exec(item);
    if (match === null) throw new Error(`messageDelayLevel: '${item}' is not <number><ms|s|m|h|d>`);
    table.set(i + 1, Number(match[1]) * TIME_UNITS.get(match[2]!)!);
  }
  return table;
}
