/**
 * bench:grpc's load from the Node 5.x SDK (rocketmq-client-nodejs 1.0.8), in the bench's own process: a Producer
 * with --inflight sends outstanding (that many loops awaiting send()), a SimpleConsumer (batches of 16, each acked;
 * max(1, inflight / 16) + 1 loops, 1 s await duration) and a PushConsumer acking every message. Both consumers run
 * while a second producer (the feeder) keeps --inflight sends outstanding; it starts with the first consumer phase
 * and stops with the push phase. A failed call is counted (WindowFigures.errors) and its loop goes on.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/java.js';
import { sleep } from './deploy.js';
import { CountingWindow, ERROR_PAUSE_MILLIS, type GrpcPhase, type LoadOptions, type PhaseLoad, type SdkDriver } from './grpc-load.js';

export const NODE_SDK = 'rocketmq-client-nodejs@1.0.8';

// The parts of the Node SDK used here. It is loaded at run time (a devDependency), so this file compiles without it.

interface SdkMessageView {
  body: Buffer;
  bornTimestamp?: Date;
}
interface SdkClient {
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}
interface SdkProducer extends SdkClient {
  send(message: { topic: string; body: Buffer }): Promise<unknown>;
}
interface SdkSimpleConsumer extends SdkClient {
  receive(max: number, invisibleMs: number): Promise<SdkMessageView[]>;
  ack(message: SdkMessageView): Promise<void>;
}
interface SdkModule {
  Producer: new (options: object) => SdkProducer;
  SimpleConsumer: new (options: object) => SdkSimpleConsumer;
  PushConsumer: new (options: object) => SdkClient;
  ConsumeResult: { SUCCESS: unknown };
}

function loadSdk(): SdkModule {
  return createRequire(path.join(REPO_ROOT, 'package.json'))('rocketmq-client-nodejs') as SdkModule;
}

const quiet = { info(): void {}, warn(): void {}, debug(): void {}, close(): void {}, error(): void {} };

/** Receipt minus born time, nanoseconds (the SDK gives the born time in milliseconds). */
const age = (m: SdkMessageView): number | undefined => (m.bornTimestamp === undefined ? undefined : (Date.now() - m.bornTimestamp.getTime()) * 1e6);

/** The client started; one that failed to start is shut down (its channels and timers) before the error goes on. */
async function started<C extends SdkClient>(client: C): Promise<C> {
  try {
    await client.startup();
    return client;
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw error;
  }
}

/** `loops` copies of `step` until stopped: a failed step goes to `failed` and its loop pauses, then goes on. */
function runLoops(loops: number, failed: (error: unknown) => void, step: () => Promise<void>): { stop(): Promise<void> } {
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        await step();
      } catch (error) {
        failed(error);
        await sleep(ERROR_PAUSE_MILLIS);
      }
    }
  };
  const running = Promise.all(Array.from({ length: loops }, loop));
  return {
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

export function nodeSdkDriver(options: LoadOptions): SdkDriver {
  const sdk = loadSdk();
  const base = { endpoints: options.endpoint, namespace: '', logger: quiet };
  const body = Buffer.alloc(options.size, 'x');
  const message = { topic: options.topic, body };
  const subscriptions = new Map([[options.topic, '*']]);
  // The phase's window, for the feeder's failures too: they starve the consumer phase being measured.
  let window = new CountingWindow();
  let feeder: { producer: SdkProducer; loops: { stop(): Promise<void> } } | undefined;

  const startFeeder = async (): Promise<void> => {
    if (feeder !== undefined) return;
    const producer = await started(new sdk.Producer(base));
    feeder = { producer, loops: runLoops(options.inflight, (e) => window.failed(e), () => producer.send(message).then(() => undefined)) };
  };
  const stopFeeder = async (): Promise<void> => {
    const f = feeder;
    feeder = undefined;
    await f?.loops.stop();
    await f?.producer.shutdown();
  };

  const load = (counted: CountingWindow, stop: () => Promise<void>): PhaseLoad => ({
    open: () => Promise.resolve(counted.open()),
    close: () => Promise.resolve(counted.close()),
    stop,
  });

  const phases: Record<GrpcPhase, (counted: CountingWindow) => Promise<PhaseLoad>> = {
    send: async (counted) => {
      const producer = await started(new sdk.Producer(base));
      const loops = runLoops(options.inflight, (e) => counted.failed(e), async () => {
        const start = process.hrtime.bigint();
        await producer.send(message);
        counted.record(Number(process.hrtime.bigint() - start));
      });
      return load(counted, async () => {
        await loops.stop();
        await producer.shutdown();
      });
    },
    simple: async (counted) => {
      await startFeeder();
      const consumer = await started(new sdk.SimpleConsumer({ ...base, consumerGroup: 'BenchGrpcSimple', subscriptions, awaitDuration: 1000 }));
      const loops = runLoops(Math.max(1, Math.floor(options.inflight / 16)) + 1, (e) => counted.failed(e), async () => {
        for (const m of await consumer.receive(16, 15_000)) {
          await consumer.ack(m);
          counted.record(age(m));
        }
      });
      return load(counted, async () => {
        await loops.stop();
        await consumer.shutdown();
      });
    },
    push: async (counted) => {
      await startFeeder();
      const consumer = await started(
        new sdk.PushConsumer({
          ...base,
          consumerGroup: 'BenchGrpcPush',
          subscriptions,
          messageListener: {
            consume: (m: SdkMessageView): Promise<unknown> => {
              counted.record(age(m));
              return Promise.resolve(sdk.ConsumeResult.SUCCESS);
            },
          },
        }),
      );
      return load(counted, async () => {
        await consumer.shutdown();
        await stopFeeder();
      });
    },
  };

  return {
    start: (phase) => {
      window = new CountingWindow();
      return phases[phase](window);
    },
    close: stopFeeder,
  };
}
