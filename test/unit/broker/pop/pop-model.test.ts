/**
 * Model-based property tests of the POP engine: random sequences of sends, pops, acks, invisible-time changes and
 * clock ticks (with a revive round) run against the engine over a real store, and against a model of what a POP
 * consumer may observe. Seeded and bounded; a failure prints the shrunk command sequence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PoppedMessage } from '../../../../src/broker/pop/pop-engine.js';
import type { DefaultMessageStore } from '../../../../src/store/index.js';
import { message, openStore, tempDir } from '../../store/support.js';
import { engineOver } from './support.js';

const GROUP = 'G';
const TOPIC = 'T';
const RUNS = Number(process.env.POP_MODEL_RUNS ?? 100);
const tickArb = fc.integer({ min: 0, max: 6 }).map((s) => s * 1000);
/** A handle's popTime (its second field): the engine's clock of the pop, which the model reads as a consumer would. */
const popTimeOf = (handle: string): number => Number(handle.split(' ')[1]);

type Cmd =
  | { t: 'send'; q: number; n: number }
  | { t: 'pop'; max: number; inv: number }
  | { t: 'ack'; i: number }
  | { t: 'change'; i: number; ms: number }
  | { t: 'tick'; ms: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ t: fc.constant('send' as const), q: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('pop' as const), max: fc.integer({ min: 1, max: 4 }), inv: fc.integer({ min: 1, max: 5 }).map((s) => s * 1000) }),
  fc.record({ t: fc.constant('ack' as const), i: fc.nat() }),
  fc.record({ t: fc.constant('change' as const), i: fc.nat(), ms: fc.integer({ min: 0, max: 4 }).map((s) => s * 1000) }),
  fc.record({ t: fc.constant('tick' as const), ms: tickArb }),
);

async function withStore<T>(body: (store: DefaultMessageStore) => Promise<T>): Promise<T> {
  const { dir, cleanup } = await tempDir();
  const store = await openStore(dir);
  try {
    return await body(store);
  } finally {
    await store.shutdown();
    await cleanup();
  }
}

interface ModelMessage {
  state: 'available' | 'held' | 'acked';
  handle?: string;
  expiry: number;
  deliveries: number;
}

function idOf(m: PoppedMessage): string {
  return m.message.body.toString();
}

describe('POP engine, non-FIFO, against a model', () => {
  it('delivers every message until acked, never an acked one, never to two consumers at once; attempts grow by one; stale handles are no-ops', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 1000 }), async (cmds, seed) =>
        withStore(async (store) => {
          const { engine, broker, clock } = engineOver(store, { seed });
          broker.topics.set(TOPIC, 2);
          const model = new Map<string, ModelMessage>();
          const handles: { id: string; handle: string }[] = [];
          let sent = 0;
          const onPopped = (popped: readonly PoppedMessage[], inv: number): void => {
            const seen = new Set<string>();
            for (const m of popped) {
              const id = idOf(m);
              assert.ok(!seen.has(id), `${id} twice in one pop`);
              seen.add(id);
              const entry = model.get(id);
              assert.ok(entry !== undefined, `unknown message ${id}`);
              assert.notEqual(entry.state, 'acked', `acked message ${id} delivered again`);
              assert.notEqual(entry.state, 'held', `${id} delivered while another consumer holds it`);
              assert.equal(m.reconsumeTimes, entry.deliveries, `${id}: reconsumeTimes after ${entry.deliveries} deliveries`);
              assert.equal(m.message.topic, TOPIC, 'delivered under the asked topic');
              entry.state = 'held';
              entry.handle = m.receiptHandle;
              entry.expiry = popTimeOf(m.receiptHandle) + inv;
              entry.deliveries++;
              handles.push({ id, handle: m.receiptHandle });
            }
          };
          const pop = async (max: number, inv: number): Promise<readonly PoppedMessage[]> => {
            const result = await engine.pop({ group: GROUP, topic: TOPIC, queueId: -1, maxMsgNums: max, invisibleTime: inv, pollTime: 0 });
            const popped = result.status === 'FOUND' ? result.messages : [];
            assert.ok(popped.length <= max);
            onPopped(popped, inv);
            return popped;
          };
          const tick = async (ms: number): Promise<void> => {
            clock.now += ms;
            await engine.revive();
            for (const entry of model.values()) {
              if (entry.state === 'held' && entry.expiry <= clock.now) {
                entry.state = 'available';
                entry.handle = undefined;
              }
            }
          };
          for (const cmd of cmds) {
            switch (cmd.t) {
              case 'send':
                for (let k = 0; k < cmd.n; k++) {
                  const id = `m${sent++}`;
                  assert.equal((await store.putMessage(message(TOPIC, cmd.q, id))).status, 'PUT_OK');
                  model.set(id, { state: 'available', expiry: 0, deliveries: 0 });
                }
                break;
              case 'pop':
                await pop(cmd.max, cmd.inv);
                break;
              case 'ack': {
                if (handles.length === 0) break;
                const { id, handle } = handles[cmd.i % handles.length]!;
                const entry = model.get(id)!;
                const expected = entry.state === 'held' && entry.handle === handle;
                assert.equal(await engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: handle }), expected, `ack of ${id}`);
                if (expected) entry.state = 'acked';
                break;
              }
              case 'change': {
                if (handles.length === 0) break;
                const { id, handle } = handles[cmd.i % handles.length]!;
                const entry = model.get(id)!;
                const expected = entry.state === 'held' && entry.handle === handle;
                const changed = await engine.changeInvisibleTime({ group: GROUP, topic: TOPIC, receiptHandle: handle, invisibleTime: cmd.ms });
                assert.equal(changed !== undefined, expected, `change-invisible of ${id}`);
                if (changed !== undefined) {
                  assert.notEqual(changed.receiptHandle, handle, 'a new handle');
                  entry.handle = changed.receiptHandle;
                  entry.expiry = changed.popTime + cmd.ms;
                  handles.push({ id, handle: changed.receiptHandle });
                }
                break;
              }
              case 'tick':
                await tick(cmd.ms);
                break;
            }
          }
          // Liveness: once the clock runs past every invisible time, whatever is not acked comes back and is acked.
          for (let round = 0; round < 40 && [...model.values()].some((m) => m.state !== 'acked'); round++) {
            await tick(3_600_000);
            for (const m of await pop(32, 60_000)) {
              assert.ok(await engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: m.receiptHandle }));
              model.get(idOf(m))!.state = 'acked';
            }
          }
          assert.deepEqual(
            [...model].filter(([, m]) => m.state !== 'acked').map(([id]) => id),
            [],
            'every message delivered until acked',
          );
          assert.equal(engine.inFlightCount(GROUP, TOPIC, 0) + engine.inFlightCount(GROUP, TOPIC, 1), 0);
        }),
      ),
      { numRuns: RUNS, seed: 4242 },
    );
  });
});

type FifoCmd =
  | { t: 'send'; n: number }
  | { t: 'pop'; max: number; inv: number; attempt: string }
  | { t: 'ackNext' }
  | { t: 'change'; ms: number }
  | { t: 'tick'; ms: number };

const fifoArb: fc.Arbitrary<FifoCmd> = fc.oneof(
  fc.record({ t: fc.constant('send' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    t: fc.constant('pop' as const),
    max: fc.integer({ min: 1, max: 4 }),
    inv: fc.integer({ min: 1, max: 5 }).map((s) => s * 1000),
    attempt: fc.constantFrom('a', 'b', 'c'),
  }),
  fc.record({ t: fc.constant('ackNext' as const) }),
  fc.record({ t: fc.constant('change' as const), ms: fc.integer({ min: 0, max: 4 }).map((s) => s * 1000) }),
  fc.record({ t: fc.constant('tick' as const), ms: tickArb }),
);

interface FifoBatch {
  offsets: number[];
  attempt: string;
  popTime: number;
  inv: number;
  acked: Set<number>;
  nextVisible: Map<number, number>;
  counts: Map<number, number>;
  handles: Map<number, string>;
}

describe('POP engine, FIFO, against a model', () => {
  it('a queue with a batch in flight hands out nothing else but to its attempt id; after expiry the same offsets come back, counted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fifoArb, { minLength: 1, maxLength: 30 }), async (cmds) =>
        withStore(async (store) => {
          const { engine, broker, clock } = engineOver(store);
          broker.topics.set(TOPIC, 1);
          let sent = 0;
          let committed = 0;
          let batch: FifoBatch | undefined;
          const pop = async (max: number, inv: number, attempt: string): Promise<void> => {
            const result = await engine.pop({ group: GROUP, topic: TOPIC, queueId: -1, maxMsgNums: max, invisibleTime: inv, pollTime: 0, order: true, attemptId: attempt });
            const got = result.status === 'FOUND' ? result.messages : [];
            const blocked =
              batch !== undefined &&
              batch.attempt !== attempt &&
              batch.offsets.some((o) => !batch!.acked.has(o) && clock.now < (batch!.nextVisible.get(o) ?? batch!.popTime + batch!.inv));
            // In order from the first unacked offset; the store may stop early at a consume-queue file's end.
            const available = blocked ? 0 : Math.max(0, Math.min(max, sent - committed));
            const expected = Array.from({ length: Math.min(available, Math.max(got.length, available === 0 ? 0 : 1)) }, (_, k) => committed + k);
            assert.deepEqual(
              got.map((m) => m.message.queueOffset),
              expected,
              `pop(${max}, ${attempt}) at ${clock.now}`,
            );
            if (got.length === 0) return;
            const counts = new Map<number, number>();
            if (batch !== undefined && batch.attempt === attempt) for (const [o, c] of batch.counts) counts.set(o, c);
            else if (batch !== undefined) for (const o of expected) if (batch.offsets.includes(o)) counts.set(o, (batch.counts.get(o) ?? 0) + 1);
            for (const m of got) {
              assert.equal(m.reconsumeTimes, counts.get(m.message.queueOffset) ?? 0, `consumed count of ${m.message.queueOffset}`);
              assert.equal(m.receiptHandle.split(' ')[3], '999', 'FIFO handles carry reviveQid 999');
            }
            batch = { offsets: expected, attempt, popTime: popTimeOf(got[0]!.receiptHandle), inv, acked: new Set(), nextVisible: new Map(), counts, handles: new Map(got.map((m) => [m.message.queueOffset, m.receiptHandle])) };
          };
          for (const cmd of cmds) {
            switch (cmd.t) {
              case 'send':
                for (let k = 0; k < cmd.n; k++) assert.equal((await store.putMessage(message(TOPIC, 0, `f${sent++}`))).status, 'PUT_OK');
                break;
              case 'pop':
                await pop(cmd.max, cmd.inv, cmd.attempt);
                break;
              case 'ackNext': {
                const next = batch?.offsets.find((o) => !batch!.acked.has(o));
                if (batch === undefined || next === undefined) break;
                assert.equal(await engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: batch.handles.get(next)! }), true);
                batch.acked.add(next);
                committed = batch.offsets.find((o) => !batch!.acked.has(o)) ?? next + 1;
                break;
              }
              case 'change': {
                const next = batch?.offsets.find((o) => !batch!.acked.has(o));
                if (batch === undefined || next === undefined) break;
                const changed = await engine.changeInvisibleTime({ group: GROUP, topic: TOPIC, receiptHandle: batch.handles.get(next)!, invisibleTime: cmd.ms });
                assert.ok(changed !== undefined);
                assert.equal(changed.popTime, batch.popTime, 'a FIFO change keeps the popTime');
                batch.nextVisible.set(next, clock.now + cmd.ms);
                batch.handles.set(next, changed.receiptHandle);
                break;
              }
              case 'tick':
                clock.now += cmd.ms;
                break;
            }
          }
          // Liveness: past every invisible time, a fresh attempt gets the rest in order, acked as it goes.
          for (let round = 0; round < 40 && committed < sent; round++) {
            clock.now += 3_600_000;
            await pop(32, 60_000, `drain${round}`);
            for (const o of batch!.offsets) {
              assert.equal(await engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: batch!.handles.get(o)! }), true);
              batch!.acked.add(o);
              committed = o + 1;
            }
          }
          assert.equal(committed, sent, 'every FIFO message delivered and acked');
        }),
      ),
      { numRuns: RUNS, seed: 4243 },
    );
  });
});
