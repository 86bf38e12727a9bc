/**
 * The load generator of `npm run bench:namesrv`, forked by bench/namesrv.ts (never run by hand) so that it does not
 * share an event loop with the name server under test. It receives a LoadSpec over IPC, opens `connections`
 * RemotingClients (one connection each), keeps `inflight` GET_ROUTEINFO_BY_TOPIC requests (JSON header, version
 * 479, a random topic each) outstanding per connection, warms up, measures, reports one LoadMessage and exits.
 * It exits by itself when the driver goes away or when its own deadline passes.
 */
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../src/index.js';
import { LatencyReservoir } from './latency.js';
import { isLoadSpec, type LoadMessage, type LoadSpec } from './namesrv-protocol.js';

/** Resolves once the message is handed to the IPC channel, so that exiting right after does not lose it. */
function send(message: LoadMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || process.send === undefined) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

async function run(spec: LoadSpec): Promise<void> {
  const clients = Array.from({ length: spec.connections }, () => new RemotingClient({ serializeType: 'JSON', connectTimeoutMillis: 3000 }));
  for (const client of clients) await client.start();
  const latency = new LatencyReservoir();
  const topics = spec.topics;
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let ops = 0;
  let errors = 0;
  let firstError: string | null = null;
  let bodyBytes = 0;

  const fail = (why: string): void => {
    if (phase === 'measure') errors++;
    firstError ??= why;
  };

  const loop = async (client: RemotingClient): Promise<void> => {
    while (phase !== 'stop') {
      const topic = topics[Math.floor(Math.random() * topics.length)] as string;
      const request = RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
      request.version = spec.version;
      const t0 = process.hrtime.bigint();
      try {
        const response = await client.invokeAsync(spec.addr, request, spec.timeoutMillis);
        const t1 = process.hrtime.bigint();
        const size = response.body?.length ?? 0;
        if (response.code !== ResponseCode.SUCCESS || size === 0) {
          fail(`code ${response.code} (${response.remark ?? 'no remark'}), body ${size} bytes, topic ${topic}`);
        } else if (phase === 'measure') {
          ops++;
          bodyBytes += size;
          latency.record(Number(t1 - t0));
        }
      } catch (err) {
        fail((err as Error).message);
        // A refused or reset connection would otherwise spin: back off a little.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };

  const loops: Promise<void>[] = [];
  for (const client of clients) for (let i = 0; i < spec.inflight; i++) loops.push(loop(client));

  await new Promise((resolve) => setTimeout(resolve, spec.warmupSeconds * 1000));
  phase = 'measure';
  void send({ type: 'measuring' });
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, spec.seconds * 1000));
  phase = 'stop';
  const elapsedNanos = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(loops);
  for (const client of clients) await client.shutdown();
  const [p50, p99, p999] = latency.percentilesMicros([50, 99, 99.9]);
  await send({
    type: 'result',
    ops,
    errors,
    firstError,
    elapsedNanos,
    p50_us: p50 ?? null,
    p99_us: p99 ?? null,
    p999_us: p999 ?? null,
    cpuMicros: cpu.user + cpu.system,
    meanBodyBytes: ops === 0 ? 0 : Math.round(bodyBytes / ops),
  });
}

if (process.send === undefined) {
  process.stderr.write('namesrv-load: run me through bench/namesrv.js (needs an IPC channel)\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(3));
process.on('SIGINT', () => undefined); // the driver decides; a terminal Ctrl-C reaches the whole group
process.once('message', (message: unknown) => {
  if (!isLoadSpec(message)) {
    void send({ type: 'failed', message: 'bad load spec' }).then(() => process.exit(2));
    return;
  }
  const deadline = setTimeout(() => process.exit(4), (message.warmupSeconds + message.seconds + 30) * 1000);
  deadline.unref();
  run(message).then(
    () => process.exit(0),
    async (err: unknown) => {
      await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
});
