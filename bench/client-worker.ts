/**
 * One of our clients in a process of its own, for `bench:client`: the Java tools run in a fresh JVM per phase, so
 * ours run in a fresh Node process per phase, both cold, neither sharing an event loop with the bench's polling.
 * Started by client.ts with `fork`; it talks over the IPC channel:
 *   child -> parent  { type: 'ready' }                once the client has started
 *   parent -> child  { type: 'measure' }              the measured window begins (profiling starts, if asked)
 *   parent -> child  { type: 'stop' }                 the window ends
 *   child -> parent  { type: 'result', ... }          the producer's send timings in the window; then it exits
 * argv: producer|consumer <namesrvAddr> <topic> <group> <inflight> <size> [<cpuprofile file>]
 * env: BENCH_SQL (consumer) subscribes with that SQL92 selector instead of "*"; BENCH_PROPERTIES=1 (producer) gives
 * each message the user properties of sqlBenchProperties.
 */
import { MessageSelector, Producer, PushConsumer } from '../src/client/index.js';
import { sqlBenchProperties } from './sql-bench.js';
import { report, runWindow } from './worker-ipc.js';

/** The Java benchmark tools set rocketmq.serialize.type=ROCKETMQ for themselves: binary request headers. */
const SERIALIZE_TYPE = 'ROCKETMQ';

export type WorkerRole = 'producer' | 'consumer';

/**
 * traceDiscarded: trace records the client dropped because its trace queue was full (--trace). Producers also report
 * their send RT percentiles in the window (ms) and `notOk`: sends stored with a status other than SEND_OK (a
 * SYNC_MASTER's FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE, bench:ha).
 */
export type WorkerReport =
  | { type: 'ready' }
  | { type: 'result'; rtSum: number; rtCount: number; failed: number; traceDiscarded: number; rtP50?: number; rtP99?: number; notOk?: number };

async function runProducer(namesrvAddr: string, topic: string, group: string, inflight: number, size: number, profileFile: string | undefined): Promise<void> {
  const producer = new Producer({ nameServer: namesrvAddr, group, serializeType: SERIALIZE_TYPE, trace: process.env.BENCH_TRACE === '1' });
  await producer.start();
  const body = Buffer.alloc(size, 'a');
  const withProperties = process.env.BENCH_PROPERTIES === '1';
  let sent = 0;
  let running = true;
  let measuring = false;
  let rtSum = 0;
  let rtCount = 0;
  let failed = 0;
  let notOk = 0;
  const rts: number[] = [];
  const worker = async (): Promise<void> => {
    while (running) {
      const begin = performance.now();
      try {
        const result = await producer.send(withProperties ? { topic, body, properties: sqlBenchProperties(sent++) } : { topic, body });
        if (measuring) {
          const rt = performance.now() - begin;
          rtSum += rt;
          rtCount++;
          rts.push(rt);
          if (result.status !== 'SEND_OK') notOk++;
        }
      } catch {
        failed++;
      }
    }
  };
  const workers = Array.from({ length: inflight }, worker);
  await runWindow(profileFile, (on) => (measuring = on));
  running = false;
  await Promise.all(workers);
  await producer.shutdown();
  rts.sort((a, b) => a - b);
  const percentile = (p: number): number => rts[Math.min(rts.length - 1, Math.floor(p * rts.length))] ?? NaN;
  if (process.connected) {
    await report<WorkerReport>({ type: 'result', rtSum, rtCount, failed, traceDiscarded: producer.traceDiscardCount, rtP50: percentile(0.5), rtP99: percentile(0.99), notOk });
  }
}

async function runConsumer(namesrvAddr: string, topic: string, group: string, inflight: number, profileFile: string | undefined): Promise<void> {
  const consumer = new PushConsumer({ nameServer: namesrvAddr, group, consumeThreadMax: inflight, serializeType: SERIALIZE_TYPE, trace: process.env.BENCH_TRACE === '1' });
  const sql = process.env.BENCH_SQL;
  consumer.subscribe(topic, sql === undefined || sql === '' ? '*' : MessageSelector.bySql(sql), () => undefined);
  await consumer.start();
  await runWindow(profileFile);
  await consumer.shutdown();
  if (process.connected) await report<WorkerReport>({ type: 'result', rtSum: 0, rtCount: 0, failed: 0, traceDiscarded: consumer.traceDiscardCount });
}

const [role, namesrvAddr, topic, group, inflight, size, profileFile] = process.argv.slice(2);
if (namesrvAddr === undefined || topic === undefined || group === undefined || inflight === undefined || size === undefined) {
  throw new Error('usage: client-worker.js producer|consumer <namesrvAddr> <topic> <group> <inflight> <size> [<cpuprofile file>]');
}
if (role === 'producer') await runProducer(namesrvAddr, topic, group, Number(inflight), Number(size), profileFile);
else if (role === 'consumer') await runConsumer(namesrvAddr, topic, group, Number(inflight), profileFile);
else throw new Error(`unknown role '${role}'`);
process.disconnect?.();
