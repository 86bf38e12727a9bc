/**
 * The official RocketMQ 5.x gRPC SDKs (Node rocketmq-client-nodejs 1.0.8, Python rocketmq-python-client 5.1.2, Java
 * rocketmq-client-java 5.2.0 with default TLS and with TLS off) run their scenario drivers (test/fixtures/grpc-sdk,
 * interop GrpcSdkDriver) first against the Java reference stack — name server + broker + rocketmq-proxy 5.3.3 in
 * cluster mode, shared by all cases — and then, unchanged, against our broker's gRPC endpoint (issue 17).
 *
 * The expectations are what the Java stack did (shared/reference/grpc-proxy.md §5.5, re-observed here). Where the
 * Java stack is wrong, the Java block asserts what it does and the ours block the reference's "Expectation for our
 * server"; each such place says so (see JAVA_STACK_DEVIATIONS).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { describeRequestCode, RequestCode } from '../../src/protocol/index.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { startGrpcTestBroker, testTls, type GrpcTestBroker, type GrpcTestBrokerOptions } from '../helpers/grpc-broker.js';
import {
  fifoGroup,
  nodeSdkAvailable,
  pythonAvailable,
  pythonSdkVenv,
  runJavaSdkDriver,
  runNodeSdkDriver,
  runPythonSdkDriver,
  SDK_TOPICS,
  type SdkCheck,
  type SdkRun,
} from '../helpers/grpc-sdk.js';
import { interopSkip, startJavaBroker, startJavaNameServer, type JavaServer } from '../helpers/java.js';
import { createSubscriptionGroup, createTypedTopic, startJavaProxy, type JavaProxy } from '../helpers/java-proxy.js';

/** The redelivery check's invisible time; the proxy's minInvisibleTimeMillsForRecv (10 s) is lowered to allow it. */
const INVISIBLE_MS = 2000;
/** Java's timer rounds a delivery time down to timerPrecisionMs (1 s): a DELAY message may come that much early. */
const JAVA_TIMER_PRECISION_MS = 1000;
const SDKS = ['node', 'python', 'java', 'java-plain'] as const;
type Sdk = (typeof SDKS)[number];
type Stack = 'java' | 'ours';

const javaSkip = await interopSkip();
const node = nodeSdkAvailable();
const python = await pythonAvailable();

/** A toolchain this suite needs is missing: in CI that fails the suite, elsewhere the case is skipped loudly. */
function toolSkip(what: string, availability: { ok: boolean; why?: string }): false | string {
  if (availability.ok) return false;
  if (process.env.CI !== undefined) throw new Error(`the gRPC SDK interop tests need ${what}: ${availability.why}`);
  console.warn(`\n*** SKIPPING the ${what} SDK case: ${availability.why} ***\n`);
  return `${what} missing: ${availability.why}`;
}

/**
 * Where the Java stack's observations differ from what our endpoint must do, per SDK (asserted only for 'ours'):
 *  - node startup: Node 1.0.8 with 4 topics hangs in startup() against the proxy most of the time (the Settings
 *    reply wins the race against the client's wait): here it hung in 2 of 4 runs, never in the first run against a
 *    fresh proxy (the reference saw 5/5), so the Java block does not assert it; ours re-pushes Settings after
 *    QueryRoute and must start.
 *  - java push FIFO: the Java 5.2.0 PushConsumer consumed the three messages of one message group out of order in
 *    2 of 3 runs against the proxy (the reference saw them in order; apache/rocketmq-clients#1092 reports the same),
 *    so the Java block asserts only that all three arrive.
 *  - transactionId: the proxy hands the committed message's __transactionId__ to consumers as a user property (all
 *    SDKs); ours must not leak it.
 *  - python receive before Settings: SimpleConsumer.startup() does not wait for the Settings answer, so its first
 *    receive could reach the server first (the proxy answers 50001 NullPointerException, apache/rocketmq#8714; ours
 *    UNRECOGNIZED_CLIENT_TYPE, as the proposed fix). The driver waits for the SDK to hold the answer before it
 *    receives, and still retries and counts a receive refused that way; ours, which stores Settings before
 *    answering them, must refuse none.
 */
function expectScenarios(t: TestContext, sdk: Sdk, stack: Stack, run: SdkRun, id: string, basic: boolean): void {
  for (const check of run.checks.values()) t.diagnostic(JSON.stringify(check));
  t.diagnostic(`${sdk} against ${stack}: ${run.ms} ms, exit ${String(run.code)}`);
  const get = (name: string): SdkCheck => {
    const check = run.checks.get(name);
    assert.ok(check !== undefined, `${sdk}: no "${name}" line; failure: ${JSON.stringify(run.checks.get('failed'))}\n${run.stderr.slice(-3000)}`);
    return check;
  };
  assert.equal(run.checks.get('failed'), undefined, `${sdk} driver failed: ${run.stderr.slice(-3000)}`);
  assert.equal(run.code, 0);
  get('done');

  if (sdk !== 'node' || stack === 'ours') {
    assert.equal(get('startup-4-topics')['started'], true, 'a producer with four topics starts');
  }
  assert.equal(get('send-normal')['ok'], true);
  const received = get('receive-normal');
  assert.deepEqual(
    { found: received['found'], tag: received['tag'], keys: received['keys'], property: received['property'] },
    { found: true, tag: 'TagA', keys: [`k-${id}`], property: 'v1' },
    'tag, keys and a user property round-trip',
  );
  assert.equal(received['attempt'], 1);
  assert.equal(received['messageIdMatches'], true, 'the consumer sees the id the producer was given');
  assert.deepEqual(get('change-invisible'), { sdk, check: 'change-invisible', newHandle: true, ack: 'ok' }, 'a new receipt handle, and the ack with it succeeds');
  if (basic) return;

  assert.deepEqual(get('send-fifo'), { sdk, check: 'send-fifo', ok: true, count: 3 });
  assert.equal(get('send-delay')['ok'], true);
  assert.equal(get('tx-rollback')['ok'], true);
  assert.deepEqual(get('tx-commit'), { sdk, check: 'tx-commit', ok: true, transactionIdIsMessageId: true });
  assert.equal(get('wrong-type')['rejected'], true, 'a NORMAL message to a FIFO topic is refused');

  const delay = get('receive-delay');
  assert.equal(delay['found'], true);
  assert.ok(
    (delay['earlyMs'] as number) <= (stack === 'java' ? JAVA_TIMER_PRECISION_MS : 0),
    `DELAY received ${String(delay['earlyMs'])} ms before its delivery time`,
  );

  const tx = get('receive-tx');
  assert.equal(tx['found'], true, 'the committed message is consumed');
  assert.equal(tx['rollbackSeen'], false, 'the rolled-back message never is');
  assert.deepEqual(tx['propertyKeys'], stack === 'java' ? ['__transactionId__'] : [], 'user properties of a committed message');

  const redelivery = get('redelivery');
  assert.deepEqual(redelivery['attempts'], [1, 2], 'not acked: delivered again with attempt 2');
  // The drivers time from when receive() returned, which is after the server popped the message (its invisible time
  // starts then; the Python SDK returns only once the stream has ended): up to 250 ms of that gap is allowed.
  assert.ok((redelivery['afterMs'] as number) >= INVISIBLE_MS - 250, `redelivered after ${String(redelivery['afterMs'])} ms, not before the invisible time`);

  const push = get('push-fifo');
  if (sdk === 'java' && stack === 'java') {
    assert.deepEqual([...(push['order'] as number[])].sort(), [0, 1, 2], 'all three FIFO messages pushed (order: see above)');
  } else {
    assert.deepEqual(push['order'], [0, 1, 2], 'one message group, pushed in order');
  }

  const orphan = get('orphan-tx');
  assert.equal(orphan['checkerCalled'], true, 'the server asks the producer about a transaction left open');
  assert.equal(orphan['consumed'], true, "the checker's COMMIT lands");
  assert.deepEqual(orphan['checked'], ['orphan'], 'only the open transaction is checked');

  if (sdk === 'python' && stack === 'ours') assert.equal(get('receive-before-settings')['errors'], 0);
}

/** Runs one SDK's driver with the options every stack shares. */
function runDriver(sdk: Sdk, endpoint: string, id: string): Promise<SdkRun> {
  const options = { endpoint, run: id, invisibleMs: INVISIBLE_MS };
  switch (sdk) {
    case 'node':
      return runNodeSdkDriver(options);
    case 'python':
      return runPythonSdkDriver(options);
    case 'java':
      return runJavaSdkDriver({ ...options, sdk, tls: true, scenarios: 'all' });
    case 'java-plain':
      return runJavaSdkDriver({ ...options, sdk, tls: false, scenarios: 'basic' });
  }
}

const skipFor = (sdk: Sdk): false | string =>
  sdk === 'node' ? toolSkip('Node', node) : sdk === 'python' ? toolSkip('Python', python) : false;

describe('5.x gRPC SDKs against the Java reference stack (name server + broker + proxy 5.3.3)', { skip: javaSkip, timeout: 6 * 60_000 }, () => {
  let namesrv: JavaServer | undefined;
  let broker: JavaServer | undefined;
  let proxy: JavaProxy | undefined;
  let venvReady: Promise<string> | undefined;

  before(async () => {
    // The venv (a minute on the first run) is built while the JVMs start.
    venvReady = python.ok ? pythonSdkVenv() : undefined;
    venvReady?.catch(() => undefined);
    const started = Date.now();
    namesrv = await startJavaNameServer();
    // Orphan checks within seconds: a half message older than 3 s is checked every 2 s, and the client's end is
    // recorded within 200 ms (Java batches it every 3 s by default; a check that runs first asks the producer about
    // a transaction it has already ended — the drivers' checkers answer truthfully either way).
    broker = await startJavaBroker({
      namesrvAddr: namesrv.addr,
      config: { transactionCheckInterval: 2000, transactionTimeOut: 3000, transactionOpBatchInterval: 200 },
    });
    proxy = await startJavaProxy({ namesrvAddr: namesrv.addr, config: { minInvisibleTimeMillsForRecv: 1000 } });
    const addr = namesrv.addr;
    await Promise.all(SDK_TOPICS.map(([topic, type]) => createTypedTopic(addr, topic, type)));
    await Promise.all(SDKS.map((sdk) => createSubscriptionGroup(addr, fifoGroup(sdk), { fifo: true })));
    console.log(`Java stack (name server, broker, proxy ${proxy.endpoint}, topics, groups) ready in ${Date.now() - started} ms`);
  });
  after(async () => {
    await proxy?.stop();
    await broker?.stop();
    await namesrv?.stop();
  });

  for (const sdk of SDKS) {
    it(`${sdk}: ${sdk === 'java-plain' ? 'startup, send, receive, change-invisible, ack with TLS off' : 'the scenario matrix'}`, { skip: skipFor(sdk), timeout: 3 * 60_000 }, async (t) => {
      if (sdk === 'python') await venvReady;
      assert.ok(proxy !== undefined);
      const id = `${sdk}-${Date.now().toString(36)}`;
      const run = await runDriver(sdk, proxy.endpoint, id);
      expectScenarios(t, sdk, 'java', run, id, sdk === 'java-plain');
    });
  }
});

describe('5.x gRPC SDKs against our broker (in-process name server + broker, gRPC endpoint)', { skip: javaSkip, timeout: 6 * 60_000 }, () => {
  let env: GrpcTestBroker | undefined;
  let venvReady: Promise<string> | undefined;

  before(async () => {
    venvReady = python.ok ? pythonSdkVenv() : undefined;
    venvReady?.catch(() => undefined);
    // The same settings as the Java stack's: orphan checks within seconds, receive invisible times down to 1 s.
    env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-sdk-ours-',
      broker: { transactionCheckInterval: 2000, transactionTimeOut: 3000, transactionOpBatchInterval: 200 },
      grpc: { tls: await testTls(), consumer: { minInvisibleTimeMillisForRecv: 1000, minLongPollingTimeoutMillis: 1000, maxLongPollingTimeoutMillis: 3000 } },
      ...sdkTopicsAndGroups(SDKS),
    });
  });
  after(async () => {
    await env?.stop();
  });

  for (const sdk of SDKS) {
    it(`${sdk}: ${sdk === 'java-plain' ? 'startup, send, receive, change-invisible, ack with TLS off' : 'the scenario matrix'}`, { skip: skipFor(sdk), timeout: 3 * 60_000 }, async (t) => {
      if (sdk === 'python') await venvReady;
      const id = `${sdk}-${Date.now().toString(36)}`;
      assert.ok(env !== undefined);
      const run = await runDriver(sdk, env.endpoint, id);
      expectScenarios(t, sdk, 'ours', run, id, sdk === 'java-plain');
    });
  }
});

/**
 * Issue 17: the Java rocketmq-proxy 5.3.3 in cluster mode in front of OUR name server and broker, as an operator
 * running Java's proxy would deploy it: the proxy speaks remoting to us (routes, topic and group configs, POP, ack,
 * change-invisible, consumer offsets, heartbeats, the transaction check callbacks). The Node SDK's full scenario runs
 * through it with the Java stack's expectations. One proxy JVM; the Node driver alone keeps it lean.
 */
describe('Node SDK 1.0.8 through the Java proxy 5.3.3 in front of our name server + broker', { skip: javaSkip || skipFor('node'), timeout: 4 * 60_000 }, () => {
  let env: GrpcTestBroker | undefined;
  let proxy: JavaProxy | undefined;
  /** What the proxy asked our broker over remoting: request code → response codes seen. */
  const asked = new Map<number, Set<number>>();

  before(async () => {
    const started = Date.now();
    // No gRPC endpoint of ours: the proxy is the gRPC front, our broker speaks remoting only.
    env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-proxy-ours-',
      broker: { transactionCheckInterval: 2000, transactionTimeOut: 3000, transactionOpBatchInterval: 200 },
      grpc: null,
      ...sdkTopicsAndGroups(['node']),
    });
    env.broker.registerServerRPCHook({
      doBeforeRequest: () => undefined,
      doAfterResponse: (_addr, request, response) => void asked.set(request.code, (asked.get(request.code) ?? new Set()).add(response.code)),
    });
    proxy = await startJavaProxy({ namesrvAddr: env.namesrvAddr, config: { minInvisibleTimeMillsForRecv: 1000 } });
    console.log(`our name server + broker behind proxy ${proxy.endpoint} ready in ${Date.now() - started} ms`);
  });
  after(async () => {
    await proxy?.stop();
    await env?.stop();
  });

  it('node: the scenario matrix through the proxy', { timeout: 3 * 60_000 }, async (t) => {
    assert.ok(proxy !== undefined);
    const id = `node-proxy-${Date.now().toString(36)}`;
    const run = await runDriver('node', proxy.endpoint, id);
    expectScenarios(t, 'node', 'java', run, id, false);
    const answers = [...asked].map(([code, responses]) => `${describeRequestCode(code)}→${[...responses].join('/')}`);
    t.diagnostic(`remoting requests from the proxy (request→response codes): ${answers.join(' ')}`);
    assert.ok(asked.has(RequestCode.POP_MESSAGE) && asked.has(RequestCode.ACK_MESSAGE) && asked.has(RequestCode.CHANGE_MESSAGE_INVISIBLETIME), 'the proxy consumed by remoting POP');
    for (const [code, responses] of asked) {
      for (const bad of [ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ResponseCode.SYSTEM_ERROR]) {
        assert.ok(!responses.has(bad), `${describeRequestCode(code)} answered ${bad}`);
      }
    }
  });
});

/** SDK_TOPICS with 8 queues each (as Java's default) and each SDK's FIFO group. */
function sdkTopicsAndGroups(sdks: readonly Sdk[]): Pick<GrpcTestBrokerOptions, 'topics' | 'queues' | 'groups'> {
  return {
    topics: Object.fromEntries(SDK_TOPICS),
    queues: 8,
    groups: Object.fromEntries(sdks.map((sdk) => [fifoGroup(sdk), { consumeMessageOrderly: true }])),
  };
}
