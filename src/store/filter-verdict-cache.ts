import { BLANK_MAGIC_CODE, readStoredTopic } from '../protocol/message/index.js';
import type { MessageFilter } from './message-store.js';

/** Verdicts are kept per aligned slot of the commit log this large, each slot one run of judged records. */
const SLOT_BYTES = 64 << 10;
/** The log is read this much at a time, from the first record not yet judged. */
const PIECE_BYTES = 64 << 10;
const EMPTY: Buffer = Buffer.alloc(0);
/** The largest scan, and the first one's size. */
const MAX_SCAN_BYTES = 1 << 20;
/** The smallest scan: a topic sparse in its log is read nearly record by record anyway. */
const MIN_SCAN_BYTES = 64 << 10;
/** Slots remembered per filter (1 GiB of log; about 50 records each at 1 KiB): the one judged longest ago goes first. */
const MAX_SLOTS_PER_FILTER = 16_384;

/** The verdicts of one run of records: every record of the topic starting in [from, to) was judged. */
interface ScannedRun {
  from: number;
  to: number;
  readonly matched: Set<number>;
}

interface FilterVerdicts {
  readonly slots: Map<number, ScannedRun>;
  /** Adapts to how much of the log is the filter's topic: a scan reads less when most of it is other topics. */
  scanBytes: number;
}

/**
 * The verdicts of property filters (SQL92) on stored records, judged in bulk. A pull of a SQL subscription
 * otherwise reads every record of its queue with a pread of its own to judge it (about 2 us each, most of the
 * broker's time when one record in ten matches, where Java reads its mapped file). Here the first record not yet
 * judged is read with the log after it, up to 1 MiB in one read, every record of the topic in it is judged, and
 * the matching offsets are kept: the queues of a topic interleave in the log, so one read judges the next records
 * of all of them, and a record that does not match is never read again. Only a matching record is then read on
 * its own, as before.
 *
 * Verdicts are keyed by commit-log offset, which is never reused while the broker runs, under the filter's
 * expression object, so a new subscription version starts afresh and an unused one is collected with its
 * expression. Each 64 KiB slot of the log keeps one run of judged records; a run ends where the written log or a
 * segment ended, and a later scan from its end extends it.
 */
export class FilterVerdictCache {
  private readonly byKey = new WeakMap<object, FilterVerdicts>();

  /**
   * @param readLog the bytes of the log from `offset`, at most `maxBytes`, never past the end of its segment or of
   * what was written; empty when nothing is there.
   */
  constructor(private readonly readLog: (offset: number, maxBytes: number) => Buffer) {}

  /**
   * Whether the record at `offset` matches `filter`: judged now with the records after it when not yet known.
   * undefined when the filter cannot be judged in bulk or the record could not be judged here (the caller reads it).
   */
  verdict(filter: MessageFilter, offset: number): boolean | undefined {
    const scope = filter.verdictScope;
    if (scope === undefined || filter.isMatchedByCommitLog === undefined) return undefined;
    let verdicts = this.byKey.get(scope.key);
    if (verdicts === undefined) {
      verdicts = { slots: new Map(), scanBytes: MAX_SCAN_BYTES };
      this.byKey.set(scope.key, verdicts);
    }
    let run = verdicts.slots.get(slotOf(offset));
    if (run === undefined || offset < run.from || offset >= run.to) {
      this.scan(filter, scope.topic, verdicts, offset);
      run = verdicts.slots.get(slotOf(offset));
      if (run === undefined || offset < run.from || offset >= run.to) return undefined;
    }
    return run.matched.has(offset);
  }

  /**
   * Judges the records of `topic` from `offset` on, up to scanBytes of the log, and files the verdicts by the slot
   * each record starts in. What is known already is skipped without reading it: queues pulled at different places
   * of the log each start from their own first unknown record, and their runs join rather than replace each other.
   */
  private scan(filter: MessageFilter, topic: string, verdicts: FilterVerdicts, offset: number): void {
    const end = offset + verdicts.scanBytes;
    let position = offset;
    let data = EMPTY;
    let base = offset;
    let records = 0;
    let ofTopic = 0;
    let run: ScannedRun | undefined;
    // The slot's earlier run when this one began before it: reached, the two become one.
    let ahead: ScannedRun | undefined;
    while (position < end) {
      if (run === undefined || slotOf(position) !== slotOf(run.from)) {
        const known = verdicts.slots.get(slotOf(position));
        if (known !== undefined && position >= known.from && position < known.to) {
          run = known;
          ahead = undefined;
          position = known.to;
          continue;
        }
        ({ run, ahead } = this.runFrom(verdicts, position));
      } else if (ahead !== undefined && position === ahead.from && ahead.to > position) {
        run.to = ahead.to;
        ahead = undefined;
        position = run.to;
        continue;
      }
      let at = position - base;
      if (at < 0 || at + 8 > data.length) {
        data = this.readLog(position, PIECE_BYTES);
        base = position;
        at = 0;
        if (data.length < 8) break; // the end of what was written, or of a segment filled to its last byte
      }
      const size = data.readInt32BE(at);
      if (size <= 0) break;
      if (data.readInt32BE(at + 4) === BLANK_MAGIC_CODE) {
        // The filler at a segment's end holds no record: the run goes on with the next segment's first.
        run.to = position + size;
        break;
      }
      if (at + size > data.length) {
        data = this.readLog(position, Math.max(PIECE_BYTES, size));
        base = position;
        at = 0;
        if (size > data.length) break;
      }
      const record = data.subarray(at, at + size);
      let matches = false;
      try {
        if (readStoredTopic(record) === topic) {
          ofTopic++;
          matches = filter.isMatchedByCommitLog?.(record) === true;
        }
      } catch {
        break; // not a record: whoever asks about this offset reads it and judges what it finds
      }
      if (matches) run.matched.add(position);
      records++;
      position += size;
      run.to = position;
    }
    if (records === 0) return;
    // A topic that is a small part of its log gets smaller scans; a dense one scans up to the largest again.
    if (ofTopic * 8 < records) verdicts.scanBytes = Math.max(MIN_SCAN_BYTES, verdicts.scanBytes >> 1);
    else if (ofTopic * 2 >= records) verdicts.scanBytes = Math.min(MAX_SCAN_BYTES, verdicts.scanBytes << 1);
  }

  /**
   * The run that records from `position` on extend: the slot's own if it ends there; else a new one, which takes
   * over the slot's verdicts when the slot's run starts further on (returned as `ahead`, to be joined).
   */
  private runFrom(verdicts: FilterVerdicts, position: number): { run: ScannedRun; ahead: ScannedRun | undefined } {
    const slot = slotOf(position);
    const existing = verdicts.slots.get(slot);
    if (existing !== undefined && existing.to === position) return { run: existing, ahead: undefined };
    const ahead = existing !== undefined && existing.from > position ? existing : undefined;
    const run: ScannedRun = { from: position, to: position, matched: ahead?.matched ?? new Set() };
    verdicts.slots.delete(slot);
    verdicts.slots.set(slot, run);
    if (verdicts.slots.size > MAX_SLOTS_PER_FILTER) {
      const oldest = verdicts.slots.keys().next().value;
      if (oldest !== undefined) verdicts.slots.delete(oldest);
    }
    return { run, ahead };
  }
}

function slotOf(offset: number): number {
  return Math.floor(offset / SLOT_BYTES);
}
