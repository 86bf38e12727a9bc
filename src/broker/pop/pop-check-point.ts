/**
 * The revive log's records (PopCheckPoint.java and AckMsg/BatchAckMsg.java) and the table of checkpoints still
 * pending: every message popped and neither acked nor revived yet. The table is pure state; the engine writes each
 * record to the revive log before it applies it here, and replays the log into a fresh table after a restart.
 */

/** A pop of one queue: which offsets went out, when, and for how long they are invisible. */
export interface PopCheckPoint {
  readonly group: string;
  /** The topic read: the normal topic or the group's retry topic. */
  readonly topic: string;
  readonly queueId: number;
  /** The first offset read (ckQueueOffset in the handles); the key of the checkpoint with popTime. */
  readonly startOffset: number;
  readonly popTime: number;
  readonly invisibleTime: number;
  /** The offsets handed out (a filter may have skipped some between them). */
  readonly queueOffsets: readonly number[];
  /** Where the queue's pop offset stands after this pop. */
  readonly nextBeginOffset: number;
}

/** An ack of some offsets of one checkpoint (BatchAckMsg: one record acks several). */
export interface PopAck {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  readonly startOffset: number;
  readonly popTime: number;
  readonly offsets: readonly number[];
}

/** A pending checkpoint: what is still unacked, and where its record is in the revive log. */
export interface PendingCheckPoint {
  readonly ck: PopCheckPoint;
  readonly unacked: Set<number>;
  /** The revive-log queue offset of the checkpoint's record: the revive progress never passes a pending one. */
  readonly reviveOffset: number;
}

/** The key Java's PopBufferMergeService merges acks by (brokerName left out: one broker). */
export function checkPointKey(group: string, topic: string, queueId: number, startOffset: number, popTime: number): string {
  return `${topic}@${group}@${queueId}@${startOffset}@${popTime}`;
}

/** The revive-log body of a checkpoint, with PopCheckPoint.java's JSON names where it has one. */
export function encodeCheckPoint(ck: PopCheckPoint): string {
  return JSON.stringify({
    c: ck.group,
    t: ck.topic,
    q: ck.queueId,
    so: ck.startOffset,
    pt: ck.popTime,
    it: ck.invisibleTime,
    d: ck.queueOffsets.map((o) => o - ck.startOffset),
    nbo: ck.nextBeginOffset,
  });
}

/** The revive-log body of an ack, with BatchAckMsg.java's JSON names. */
export function encodeAck(ack: PopAck): string {
  return JSON.stringify({ c: ack.group, t: ack.topic, q: ack.queueId, so: ack.startOffset, pt: ack.popTime, aol: ack.offsets });
}

export function decodeCheckPoint(text: string): PopCheckPoint {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const startOffset = num(raw.so);
  return {
    group: str(raw.c),
    topic: str(raw.t),
    queueId: num(raw.q),
    startOffset,
    popTime: num(raw.pt),
    invisibleTime: num(raw.it),
    queueOffsets: nums(raw.d).map((d) => startOffset + d),
    nextBeginOffset: num(raw.nbo),
  };
}

export function decodeAck(text: string): PopAck {
  const raw = JSON.parse(text) as Record<string, unknown>;
  return { group: str(raw.c), topic: str(raw.t), queueId: num(raw.q), startOffset: num(raw.so), popTime: num(raw.pt), offsets: nums(raw.aol) };
}

function num(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${String(value)}`);
  return value;
}
function str(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`not a string: ${String(value)}`);
  return value;
}
function nums(value: unknown): number[] {
  if (!Array.isArray(value)) throw new TypeError('not an array');
  return value.map(num);
}

export class PopCheckPointTable {
  private readonly pending = new Map<string, PendingCheckPoint>();
  /** Per queue (topic@group@queueId): how many popped messages are unacked (PopInflightMessageCounter). */
  private readonly inFlight = new Map<string, number>();

  /** A checkpoint whose record is at `reviveOffset`; one with nothing handed out is done at once. */
  add(ck: PopCheckPoint, reviveOffset: number): void {
    if (ck.queueOffsets.length === 0) return;
    const key = checkPointKey(ck.group, ck.topic, ck.queueId, ck.startOffset, ck.popTime);
    this.pending.set(key, { ck, unacked: new Set(ck.queueOffsets), reviveOffset });
    this.count(ck, ck.queueOffsets.length);
  }

  has(group: string, topic: string, queueId: number, startOffset: number, popTime: number): boolean {
    return this.pending.has(checkPointKey(group, topic, queueId, startOffset, popTime));
  }

  /** Whether `offset` of that checkpoint is still unacked (false for an unknown or finished checkpoint). */
  isUnacked(group: string, topic: string, queueId: number, startOffset: number, popTime: number, offset: number): boolean {
    return this.pending.get(checkPointKey(group, topic, queueId, startOffset, popTime))?.unacked.has(offset) ?? false;
  }

  /** Marks offsets acked; a checkpoint with nothing left is done. Unknown checkpoints and offsets are ignored (Java). */
  ack(ack: PopAck): number {
    const key = checkPointKey(ack.group, ack.topic, ack.queueId, ack.startOffset, ack.popTime);
    const entry = this.pending.get(key);
    if (entry === undefined) return 0;
    let acked = 0;
    for (const offset of ack.offsets) if (entry.unacked.delete(offset)) acked++;
    this.count(entry.ck, -acked);
    if (entry.unacked.size === 0) this.pending.delete(key);
    return acked;
  }

  /** The checkpoints whose invisible time has passed at `now`, oldest revive time first. */
  due(now: number): PendingCheckPoint[] {
    const due: PendingCheckPoint[] = [];
    for (const entry of this.pending.values()) if (entry.ck.popTime + entry.ck.invisibleTime <= now) due.push(entry);
    return due.sort((a, b) => a.ck.popTime + a.ck.invisibleTime - (b.ck.popTime + b.ck.invisibleTime));
  }

  /** The earliest time a pending checkpoint becomes due, undefined when none is pending. */
  nextReviveTime(): number | undefined {
    let next: number | undefined;
    for (const { ck } of this.pending.values()) next = Math.min(next ?? Infinity, ck.popTime + ck.invisibleTime);
    return next;
  }

  /** The lowest revive-log offset still needed after a restart; undefined when nothing is pending. */
  lowestReviveOffset(): number | undefined {
    let lowest: number | undefined;
    for (const entry of this.pending.values()) lowest = Math.min(lowest ?? Infinity, entry.reviveOffset);
    return lowest;
  }

  inFlightCount(group: string, topic: string, queueId: number): number {
    return this.inFlight.get(`${topic}@${group}@${queueId}`) ?? 0;
  }

  get size(): number {
    return this.pending.size;
  }

  private count(ck: PopCheckPoint, delta: number): void {
    const key = `${ck.topic}@${ck.group}@${ck.queueId}`;
    const next = (this.inFlight.get(key) ?? 0) + delta;
    if (next <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, next);
  }
}
