/**
 * bench:grpc's load from the Java 5.x SDK (rocketmq-client-java 5.2.0): interop's GrpcSdkBench in one JVM per
 * target, on the Java SDK's own class path (test/helpers/grpc-sdk.ts), started once the target is ready (its start-up
 * is not measured) and driven over stdin: `<seq> start <phase>`, `<seq> open`, `<seq> close`, `<seq> stop <phase>`,
 * each answered by a `BENCH <seq> <json>` line on stdout. The phases are the Node path's (grpc-node-sdk.ts), the
 * bench keeping the clock.
 */
import { startJava, type JavaProcess } from '../test/helpers/java.js';
import type { GrpcPhase, LoadOptions, PhaseLoad, SdkDriver, WindowFigures } from './grpc-load.js';

export const JAVA_SDK = 'rocketmq-client-java@5.2.0';
const DRIVER = 'io.rocketmqts.interop.GrpcSdkBench';
/** Starting a phase's clients (a PushConsumer waits for its first assignments); closing them. */
const START_TIMEOUT_MILLIS = 60_000;
const STOP_TIMEOUT_MILLIS = 90_000;
const WINDOW_TIMEOUT_MILLIS = 10_000;

/** One answer of the driver: its command's sequence number and fields, or the error that command met. */
export type DriverReply = { seq: number; ok: true; fields: Record<string, unknown> } | { seq: number; ok: false; error: string };

/** A `BENCH <seq> <json>` line of GrpcSdkBench; undefined for any other line (the SDK may print its own). */
export function parseDriverReply(line: string): DriverReply | undefined {
  const m = /^BENCH (\d+) (\{.*\})\s*$/.exec(line);
  if (m === null) return undefined;
  const seq = Number(m[1]);
  let json: unknown;
  try {
    json = JSON.parse(m[2] as string);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const fields = json as Record<string, unknown>;
  if (fields['ok'] === true) return { seq, ok: true, fields };
  return { seq, ok: false, error: typeof fields['error'] === 'string' ? fields['error'] : `no error text in ${m[2] as string}` };
}

/** The fields of a `close` answer as WindowFigures; throws on a missing or mistyped one. */
export function windowFigures(fields: Record<string, unknown>): WindowFigures {
  const count = fields['count'];
  const errors = fields['errors'];
  if (typeof count !== 'number' || typeof errors !== 'number') throw new Error(`GrpcSdkBench: a window without count or errors: ${JSON.stringify(fields)}`);
  const micros = (key: string): number | null => {
    const value = fields[key];
    if (value === null || typeof value === 'number') return value;
    throw new Error(`GrpcSdkBench: ${key} is not a number: ${JSON.stringify(fields)}`);
  };
  const first = fields['first_error'];
  return { count, p50Micros: micros('p50_us'), p99Micros: micros('p99_us'), errors, firstError: typeof first === 'string' ? first : null };
}

/** Starts the driver's JVM (waits for READY) against `options.endpoint`; `classpath` from javaSdkClasspath(). */
export async function startJavaSdkDriver(options: LoadOptions, classpath: string, label: string): Promise<SdkDriver> {
  const jvm: JavaProcess = await startJava({
    mainClass: DRIVER,
    name: `bench-grpc-java-sdk-${label}`,
    classpath,
    heapMb: 512,
    stdin: true,
    args: ['--endpoints', options.endpoint, '--topic', options.topic, '--size', String(options.size), '--inflight', String(options.inflight)],
    readyLine: /^READY/,
  });
  let seq = 0;
  /** Sends a command and waits for its answer: its fields, or an error with the driver's. */
  const request = async (command: string, timeoutMs: number): Promise<Record<string, unknown>> => {
    const n = ++seq;
    jvm.stdin?.write(`${n} ${command}\n`);
    const line = await jvm.waitForLine(new RegExp(`^BENCH ${n} `), timeoutMs);
    const reply = parseDriverReply(line);
    if (reply === undefined) throw new Error(`GrpcSdkBench answered '${command}' with an unreadable line: ${line}`);
    if (!reply.ok) throw new Error(`GrpcSdkBench '${command}': ${reply.error}`);
    return reply.fields;
  };
  return {
    start: async (phase: GrpcPhase): Promise<PhaseLoad> => {
      try {
        await request(`start ${phase}`, START_TIMEOUT_MILLIS);
      } catch (error) {
        // What did start (the feeder) goes on until stopped; a phase that never started has nothing else to stop.
        await request(`stop ${phase}`, STOP_TIMEOUT_MILLIS).catch(() => undefined);
        throw error;
      }
      return {
        open: async () => {
          await request('open', WINDOW_TIMEOUT_MILLIS);
        },
        close: async () => windowFigures(await request('close', WINDOW_TIMEOUT_MILLIS)),
        stop: async () => {
          await request(`stop ${phase}`, STOP_TIMEOUT_MILLIS);
        },
      };
    },
    close: async () => {
      jvm.stdin?.end();
      await Promise.race([jvm.exit, new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MILLIS).unref())]);
      await jvm.stop();
    },
  };
}
