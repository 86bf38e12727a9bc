/**
 * Remoting parity against the real Java RocketMQ (issue 3), for 5.3.3 and 4.9.8, both header serializations:
 *
 * - our RemotingClient against Java's NettyRemotingServer (interop RemotingPeerServer);
 * - Java's NettyRemotingClient (interop RemotingPeerClient --scenarios) against our RemotingServer, where every
 *   scenario also runs against the Java server in the same test and the two reports are compared field by field;
 * - TLS both ways: our client -> Java server (enforcing), Java client -> our server (permissive and enforcing).
 *
 * Cost control: per version, three Java servers (JSON, ROCKETMQ, TLS enforcing) are started once and reused, and each
 * Java client run executes all its scenarios in one JVM. Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  RemotingClient,
  RemotingCommand,
  RemotingServer,
  RemotingTimeoutError,
  ResponseCode,
  encodeCommand,
  type RemotingServerOptions,
  type SerializeTypeName,
} from '../../src/index.js';
import {
  buildInterop,
  interopSkip,
  runJava,
  startJava,
  type JavaProcess,
  type RocketMQVersion,
} from '../helpers/java.js';
import { PeerCode, echoProcessor, startPeerServer } from '../helpers/peer.js';

/** Loud skip without java and mvn on a developer machine; a failure in CI. */
const skip = await interopSkip();

/** Compiled to dist-test/test/interop/, so the source tree's fixtures are three levels up. */
const TLS_DIR = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
const TLS_CERT = `${TLS_DIR}server.crt`;
const TLS_KEY = `${TLS_DIR}server.key`;

const SERIALIZATIONS = ['JSON', 'ROCKETMQ'] as const satisfies readonly SerializeTypeName[];
const UNKNOWN_CODE = 9999;
/** Java's remarks, verbatim (NettyRemotingAbstract). */
const NOT_SUPPORTED_REMARK = ` request type ${UNKNOWN_CODE} not supported`;
const REJECT_REMARK = '[REJECTREQUEST]system busy, start flow control for a while';
const TIMEOUT_MS = 10_000;

/** Every scenario RemotingPeerClient knows; `timeout` leaves the connection closed, so it runs last. */
const JAVA_SCENARIOS = [
  'echo-sizes',
  'unicode',
  'unknown-code',
  'throw',
  'reject',
  'oneway',
  'async-many',
  'callback',
  'timeout',
] as const;
type Scenario = (typeof JAVA_SCENARIOS)[number];
type Report = Record<string, unknown>;

interface JavaPeerServer {
  process: JavaProcess;
  addr: string;
}

async function startJavaPeerServer(
  classpath: string,
  version: RocketMQVersion,
  serialize: SerializeTypeName,
  extraArgs: string[] = [],
): Promise<JavaPeerServer> {
  const javaProcess = await startJava({
    mainClass: 'io.rocketmqts.interop.RemotingPeerServer',
    args: ['--port', '0', '--serialize', serialize, ...extraArgs],
    classpath,
    heapMb: 256,
    name: `peer-server-${version}-${serialize}${extraArgs.length > 0 ? '-tls' : ''}`,
    readyLine: /^READY \d+$/,
    readyTimeoutMs: 60_000,
  });
  const line = await javaProcess.waitForLine(/^READY \d+$/, 1000);
  return { process: javaProcess, addr: `127.0.0.1:${line.split(' ')[1]}` };
}

/** Runs RemotingPeerClient --scenarios in one JVM and returns its reports by scenario. */
async function runJavaClient(
  classpath: string,
  addr: string,
  serialize: SerializeTypeName,
  scenarios: readonly Scenario[],
  options: { tls?: boolean } = {},
): Promise<Map<string, Report>> {
  const args = ['--scenarios', scenarios.join(','), '--addr', addr, '--serialize', serialize];
  if (options.tls === true) args.push('--tls');
  const result = await runJava({
    mainClass: 'io.rocketmqts.interop.RemotingPeerClient',
    args,
    classpath,
    heapMb: 256,
    name: 'peer-client',
    timeoutMs: 120_000,
  });
  const context = `RemotingPeerClient ${args.join(' ')} exited ${String(result.code)}\n${result.stdout}\n[stderr]\n${result.stderr}`;
  assert.equal(result.code, 0, context);
  const reports = new Map<string, Report>();
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const report = JSON.parse(line) as Report;
    reports.set(String(report['scenario']), report);
  }
  assert.deepEqual([...reports.keys()], [...scenarios], context);
  return reports;
}

function echoRequest(options: { body?: Buffer; ext?: Record<string, string>; remark?: string } = {}): RemotingCommand {
  const request = RemotingCommand.createRequestCommand(PeerCode.ECHO, options.ext, options.body);
  request.remark = options.remark;
  return request;
}

function bodyOf(command: RemotingCommand): Buffer {
  return command.body ?? Buffer.alloc(0);
}

/** Asserts equal bodies without printing megabytes on failure. */
function assertSameBody(actual: Buffer, expected: Buffer, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: body length`);
  assert.ok(actual.equals(expected), `${what}: body bytes differ`);
}

const UNICODE_REMARK = 'h\u00e9llo w\u00f6rld \u2014 \u4f60\u597d \u{1f680} "quoted" \\ back\tslash';
const UNICODE_EXT = {
  'k\u00fcy': 'v\u00e4lue \u{1f600}',
  emoji: '\u{1f389}\u{1f38a}',
  cjk: '\u4e2d\u6587',
  ascii: 'plain',
  'with space': 'a,b:c{d}"e"',
};

/**
 * The parts of a Java client report that legitimately depend on which implementation served it, normalized with
 * the reason next to each; everything else must be equal between the Java and the TS server.
 */
function normalize(scenario: Scenario, report: Report): Report {
  const out: Report = { ...report };
  // Each server stamps its own release into responses: Java 4.9.8 says 409, we say 5.3.3 (479).
  if ('version' in out) out['version'] = '<server version>';
  switch (scenario) {
    case 'throw':
      // The remark is the exception and its first stack frame: "java.lang.RuntimeException: boom, io.rocketmqts...
      // (RemotingPeerServer.java:65)" vs "Error: boom, at Object.processRequest (file:///...peer.js:45:19)".
      assert.match(String(out['remark']), /boom/);
      out['remark'] = '<exception description mentioning boom>';
      break;
    case 'oneway':
      // Servers are shared by earlier runs and tests: only the delta is comparable; polling depends on timing.
      delete out['countBefore'];
      delete out['countAfter'];
      delete out['countPolls'];
      break;
    case 'timeout':
      delete out['elapsedMs'];
      break;
    default:
      break;
  }
  return out;
}

/** What every Java client report must say, whichever server answered. */
function assertJavaReport(scenario: Scenario, report: Report, serialize: SerializeTypeName): void {
  const context = JSON.stringify(report);
  assert.equal(report['exception'], undefined, context);
  switch (scenario) {
    case 'echo-sizes': {
      assert.equal(report['ok'], true, context);
      const results = report['results'] as Report[];
      assert.deepEqual(
        results.map((r) => r['size']),
        [0, 1, 1024, 1024 * 1024, 4 * 1024 * 1024],
      );
      for (const r of results) {
        assert.equal(r['code'], 0, context);
        assert.equal(r['bodyLength'], r['size'], context);
        assert.equal(r['bodySha256'], r['sha256'], context);
      }
      break;
    }
    case 'unicode':
      assert.equal(report['code'], 0, context);
      assert.equal(report['remarkMatches'], true, context);
      assert.equal(report['extFieldsMatch'], true, context);
      assert.equal(report['bodyMatches'], true, context);
      assert.equal(report['flag'], 1, context);
      break;
    case 'unknown-code':
      assert.equal(report['code'], ResponseCode.REQUEST_CODE_NOT_SUPPORTED, context);
      assert.equal(report['remark'], NOT_SUPPORTED_REMARK, context);
      assert.equal(report['serializeType'], serialize, context);
      break;
    case 'throw':
      assert.equal(report['code'], ResponseCode.SYSTEM_ERROR, context);
      assert.match(String(report['remark']), /boom/, context);
      break;
    case 'reject':
      assert.equal(report['code'], ResponseCode.SYSTEM_BUSY, context);
      assert.equal(report['remark'], REJECT_REMARK, context);
      break;
    case 'oneway':
      assert.equal(report['sent'], 100, context);
      assert.equal(report['delta'], 100, context);
      break;
    case 'async-many':
      assert.deepEqual(
        { sent: report['sent'], finished: report['finished'], ok: report['ok'], mismatched: report['mismatched'], errors: report['errors'] },
        { sent: 1000, finished: true, ok: 1000, mismatched: 0, errors: {} },
        context,
      );
      break;
    case 'callback':
      assert.equal(report['code'], 0, context);
      assert.equal(report['body'], 'ping-callback', context);
      break;
    case 'timeout': {
      assert.equal(report['error'], 'RemotingTimeoutException', context);
      const elapsed = Number(report['elapsedMs']);
      assert.ok(elapsed >= 450 && elapsed < 1900, `timeout after ${elapsed} ms: ${context}`);
      break;
    }
  }
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`remoting parity with Java RocketMQ ${version}`, { skip, timeout: 15 * 60_000 }, () => {
    let classpath = '';
    const javaServers = new Map<SerializeTypeName, JavaPeerServer>();
    let javaTlsServer: JavaPeerServer | undefined;
    const tsServers: RemotingServer[] = [];
    const clients: RemotingClient[] = [];
    let tsAddr = '';
    let tsPermissiveAddr = '';
    let tsEnforcingAddr = '';

    async function tsServer(options: RemotingServerOptions = {}): Promise<string> {
      const { server, addr } = await startPeerServer(options);
      tsServers.push(server);
      return addr;
    }

    async function tsClient(serializeType: SerializeTypeName, options: ConstructorParameters<typeof RemotingClient>[0] = {}): Promise<RemotingClient> {
      const client = new RemotingClient({ serializeType, ...options });
      client.registerProcessor(PeerCode.CLIENT_ECHO, echoProcessor);
      await client.start();
      clients.push(client);
      return client;
    }

    function javaServer(serialize: SerializeTypeName): JavaPeerServer {
      const server = javaServers.get(serialize);
      assert.ok(server, `no Java ${serialize} server`);
      return server;
    }

    before(async () => {
      ({ classpath } = await buildInterop(version));
      const tlsKeyMaterial = { cert: readFileSync(TLS_CERT), key: readFileSync(TLS_KEY) };
      const [json, rocketmq, tls] = await Promise.allSettled([
        startJavaPeerServer(classpath, version, 'JSON'),
        startJavaPeerServer(classpath, version, 'ROCKETMQ'),
        startJavaPeerServer(classpath, version, 'JSON', ['--tls-mode', 'enforcing', '--tls-cert', TLS_CERT, '--tls-key', TLS_KEY]),
      ]);
      if (json.status === 'fulfilled') javaServers.set('JSON', json.value);
      if (rocketmq.status === 'fulfilled') javaServers.set('ROCKETMQ', rocketmq.value);
      if (tls.status === 'fulfilled') javaTlsServer = tls.value;
      for (const started of [json, rocketmq, tls]) if (started.status === 'rejected') throw started.reason;
      tsAddr = await tsServer();
      tsPermissiveAddr = await tsServer({ tls: { mode: 'permissive', ...tlsKeyMaterial } });
      tsEnforcingAddr = await tsServer({ tls: { mode: 'enforcing', ...tlsKeyMaterial } });
    });

    after(async () => {
      await Promise.all(clients.map((client) => client.shutdown()));
      await Promise.all(tsServers.map((server) => server.shutdown()));
      await Promise.all([...javaServers.values(), ...(javaTlsServer ? [javaTlsServer] : [])].map((s) => s.process.stop()));
    });

    // --------------------------------------------------------------------------------------------------------------
    for (const serialize of SERIALIZATIONS) {
      describe(`TS RemotingClient (${serialize}) -> Java NettyRemotingServer (${serialize})`, () => {
        let client: RemotingClient;
        let addr = '';

        before(async () => {
          client = await tsClient(serialize);
          addr = javaServer(serialize).addr;
        });

        it('sync: echo with remark, extFields and body', { timeout: 30_000 }, async () => {
          const request = echoRequest({ body: Buffer.from('sync body'), ext: { a: '1', topic: 'T' }, remark: 'sync remark' });
          const response = await client.invokeSync(addr, request, TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.SUCCESS);
          assert.equal(response.opaque, request.opaque);
          assert.ok(response.isResponseType());
          assert.equal(response.language, 'JAVA');
          assert.equal(response.version, version === '5.3.3' ? 479 : 409);
          assert.equal(response.remark, 'sync remark');
          assert.deepEqual(response.extFields, { a: '1', topic: 'T' });
          assertSameBody(bodyOf(response), Buffer.from('sync body'), 'sync');
        });

        it('async: echo', { timeout: 30_000 }, async () => {
          const response = await client.invokeAsync(addr, echoRequest({ body: Buffer.from('async body') }), TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.SUCCESS);
          assertSameBody(bodyOf(response), Buffer.from('async body'), 'async');
        });

        it('oneway: 100 requests all arrive (counted by the server)', { timeout: 30_000 }, async () => {
          const count = async (): Promise<number> =>
            Number((await client.invokeSync(addr, RemotingCommand.createRequestCommand(PeerCode.COUNT), TIMEOUT_MS)).remark);
          const before = await count();
          for (let i = 0; i < 100; i++) {
            await client.invokeOneway(addr, RemotingCommand.createRequestCommand(PeerCode.ONEWAY_SINK, undefined, Buffer.from(`oneway ${i}`)), TIMEOUT_MS);
          }
          const deadline = Date.now() + 5000;
          let seen = (await count()) - before;
          while (seen < 100 && Date.now() < deadline) {
            await delay(20);
            seen = (await count()) - before;
          }
          assert.equal(seen, 100);
        });

        it('bodies of 0 B, 1 B, 1 KiB, 1 MiB and 4 MiB come back intact', { timeout: 60_000 }, async () => {
          for (const size of [0, 1, 1024, 1024 * 1024, 4 * 1024 * 1024]) {
            const body = randomBytes(size);
            const response = await client.invokeSync(addr, echoRequest({ body, ext: { size: String(size) } }), TIMEOUT_MS);
            assert.equal(response.code, ResponseCode.SUCCESS, `size ${size}`);
            assert.equal(response.extFields?.['size'], String(size));
            assertSameBody(bodyOf(response), body, `size ${size}`);
          }
        });

        it('unicode remark, extFields keys and values, and body', { timeout: 30_000 }, async () => {
          const body = Buffer.from('\u00fcnicode body \u{1f44b}', 'utf8');
          const response = await client.invokeSync(addr, echoRequest({ body, ext: UNICODE_EXT, remark: UNICODE_REMARK }), TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.SUCCESS);
          assert.equal(response.remark, UNICODE_REMARK);
          assert.deepEqual(response.extFields, UNICODE_EXT);
          assertSameBody(bodyOf(response), body, 'unicode');
        });

        it('unknown code -> REQUEST_CODE_NOT_SUPPORTED (3) with Java\'s remark', { timeout: 30_000 }, async () => {
          const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(UNKNOWN_CODE), TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
          assert.equal(response.remark, NOT_SUPPORTED_REMARK);
        });

        it('throwing processor -> SYSTEM_ERROR (1) with a remark mentioning boom', { timeout: 30_000 }, async () => {
          const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(PeerCode.THROW), TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.SYSTEM_ERROR);
          assert.match(response.remark ?? '', /^java\.lang\.RuntimeException: boom, /);
        });

        it('rejecting processor -> SYSTEM_BUSY (2) [REJECTREQUEST]', { timeout: 30_000 }, async () => {
          const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(PeerCode.REJECT), TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.SYSTEM_BUSY);
          assert.equal(response.remark, REJECT_REMARK);
        });

        it('callback: the Java server calls our client (9101) during the request', { timeout: 30_000 }, async () => {
          const request = RemotingCommand.createRequestCommand(PeerCode.CALLBACK, undefined, Buffer.from('ping-callback'));
          const response = await client.invokeSync(addr, request, TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.SUCCESS);
          assert.equal(bodyOf(response).toString(), 'ping-callback');
        });

        it('1500 async requests in flight, each matched to its own response', { timeout: 60_000 }, async () => {
          const total = 1500;
          const responses = await Promise.all(
            Array.from({ length: total }, (_, i) =>
              client.invokeAsync(addr, echoRequest({ body: Buffer.from(`async ${i}`), ext: { index: String(i) } }), TIMEOUT_MS),
            ),
          );
          responses.forEach((response, i) => {
            assert.equal(response.code, ResponseCode.SUCCESS);
            assert.equal(response.extFields?.['index'], String(i));
            assert.equal(bodyOf(response).toString(), `async ${i}`);
          });
        });

        it('edge-case requests: the Java server and the TS server answer alike', { timeout: 30_000 }, async () => {
          const manyKeys = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`key${i}`, `value ${i}`]));
          const shapes: { name: string; ext?: Record<string, string>; remark?: string; body?: Buffer }[] = [
            { name: 'nothing at all' },
            // ROCKETMQ turns zero-length strings into null (both implementations); JSON keeps them.
            { name: 'empty remark and empty ext value', remark: '', ext: { empty: '', full: 'x' } },
            { name: 'control characters', remark: 'nul\u0000 bell\u0007 del\u007f line\u2028sep', ext: { c: '\u0001\u0002\u001f' } },
            { name: 'JSON-looking text', remark: '{"code":1,"flag":0}', ext: { '"k"': '"v"', '\\': '\\\\' } },
            { name: '500 extFields', ext: manyKeys },
            { name: '64 KiB remark', remark: 'r\u00e9'.repeat(32 * 1024) },
            { name: 'empty body buffer', body: Buffer.alloc(0) },
          ];
          for (const shape of shapes) {
            const [fromJava, fromTs] = await Promise.all(
              [addr, tsAddr].map((target) => client.invokeSync(target, echoRequest(shape), TIMEOUT_MS)),
            );
            assert.ok(fromJava !== undefined && fromTs !== undefined);
            const view = (r: RemotingCommand): Report => ({
              code: r.code,
              flag: r.flag,
              language: r.language,
              remark: r.remark,
              extFields: r.extFields,
              body: bodyOf(r).toString('hex'),
            });
            assert.deepEqual(view(fromTs), view(fromJava), shape.name);
          }
        });

        it('frame limit: exactly 16 MiB (length word included) passes, one byte more closes the connection, on both servers', { timeout: 60_000 }, async () => {
          const limit = 16 * 1024 * 1024;
          const sized = (extra: number): RemotingCommand => {
            const request = echoRequest();
            request.serializeTypeCurrentRPC = serialize;
            // The header does not depend on the body, so the frame without a body tells the header's cost.
            request.body = Buffer.alloc(limit - encodeCommand(request).length + extra, 0x5a);
            assert.equal(encodeCommand(request).length, limit + extra);
            return request;
          };
          for (const target of [addr, tsAddr]) {
            const atLimit = await client.invokeSync(target, sized(0), TIMEOUT_MS);
            assert.equal(atLimit.code, ResponseCode.SUCCESS, target);
            assert.equal(bodyOf(atLimit).length, sized(0).body?.length, target);
          }
          const outcomes: string[] = [];
          for (const target of [addr, tsAddr]) {
            try {
              const response = await client.invokeSync(target, sized(1), TIMEOUT_MS);
              outcomes.push(`answered ${response.code}`);
            } catch (err) {
              outcomes.push((err as Error).name);
            }
          }
          assert.deepEqual(outcomes, ['RemotingSendRequestError', 'RemotingSendRequestError'], `Java server, TS server`);
        });

        it('SLOW with a short timeout -> RemotingTimeoutError', { timeout: 30_000 }, async () => {
          const request = RemotingCommand.createRequestCommand(PeerCode.SLOW, { sleepMs: 2000 });
          const start = Date.now();
          await assert.rejects(client.invokeSync(addr, request, 300), RemotingTimeoutError);
          const elapsed = Date.now() - start;
          assert.ok(elapsed >= 290 && elapsed < 1900, `timed out after ${elapsed} ms`);
          // The client closed that connection (clientCloseSocketIfTimeout); the next call reconnects.
          const response = await client.invokeSync(addr, echoRequest({ body: Buffer.from('after timeout') }), TIMEOUT_MS);
          assertSameBody(bodyOf(response), Buffer.from('after timeout'), 'after timeout');
        });
      });
    }

    // --------------------------------------------------------------------------------------------------------------
    describe('response header serialization (TS client x Java server)', () => {
      /**
       * Java does not simply mirror the request's header encoding. Observed: 5.x answers everything in the server's
       * configured type; 4.9.x answers a processor's response in the request's type, but the responses it builds
       * itself (not supported, rejected, processor threw) in its configured type. We decode either.
       */
      for (const clientType of SERIALIZATIONS) {
        for (const serverType of SERIALIZATIONS) {
          it(`client ${clientType}, server ${serverType}`, { timeout: 30_000 }, async () => {
            const client = await tsClient(clientType);
            const seen: SerializeTypeName[] = [];
            client.registerRPCHook({
              doBeforeRequest: () => undefined,
              doAfterResponse: (_addr, _request, response) => void seen.push(response.serializeTypeCurrentRPC),
            });
            const addr = javaServer(serverType).addr;
            const echoed = await client.invokeSync(addr, echoRequest({ ext: UNICODE_EXT, remark: UNICODE_REMARK }), TIMEOUT_MS);
            assert.equal(echoed.code, ResponseCode.SUCCESS);
            assert.equal(echoed.remark, UNICODE_REMARK);
            assert.deepEqual(echoed.extFields, UNICODE_EXT);
            const unknown = await client.invokeSync(addr, RemotingCommand.createRequestCommand(UNKNOWN_CODE), TIMEOUT_MS);
            assert.equal(unknown.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
            assert.equal(unknown.remark, NOT_SUPPORTED_REMARK);
            const expectedEcho = version.startsWith('5.') ? serverType : clientType;
            assert.deepEqual(seen, [expectedEcho, serverType]);
          });
        }
      }
    });

    // --------------------------------------------------------------------------------------------------------------
    for (const serialize of SERIALIZATIONS) {
      describe(`Java NettyRemotingClient (${serialize}) -> TS RemotingServer, compared with -> Java server`, () => {
        let viaTs = new Map<string, Report>();
        let viaJava = new Map<string, Report>();

        before(async () => {
          // Both runs at once: two JVMs on two cores; the only timing-sensitive scenario has a 4x margin.
          [viaTs, viaJava] = await Promise.all([
            runJavaClient(classpath, tsAddr, serialize, JAVA_SCENARIOS),
            runJavaClient(classpath, javaServer(serialize).addr, serialize, JAVA_SCENARIOS),
          ]);
        });

        for (const scenario of JAVA_SCENARIOS) {
          it(scenario, () => {
            const ts = viaTs.get(scenario);
            const java = viaJava.get(scenario);
            assert.ok(ts !== undefined && java !== undefined, `no report for ${scenario}`);
            assertJavaReport(scenario, java, serialize);
            assertJavaReport(scenario, ts, serialize);
            assert.deepEqual(normalize(scenario, ts), normalize(scenario, java));
          });
        }

        // Java's exceptionSimpleDesc appends StackTraceElement.toString(), which has no "at " prefix:
        //   Java: "java.lang.RuntimeException: boom, io.rocketmqts.interop.RemotingPeerServer.lambda$register$2(...)"
        //   TS:   "Error: boom, Object.processRequest (file:///.../peer.js:37:19)"
        it(
          'throw: the SYSTEM_ERROR remark has Java\'s shape "<error>: <message>, <frame>" without V8\'s "at "',
          () => {
            const shape = /^[\w.$]+: boom, (?!at )\S/;
            assert.match(String(viaJava.get('throw')?.['remark']), shape);
            assert.match(String(viaTs.get('throw')?.['remark']), shape);
          },
        );
      });
    }

    // --------------------------------------------------------------------------------------------------------------
    describe('TLS', () => {
      it('TS client (useTLS, ca = fixture server.crt) -> Java server, TLS enforcing', { timeout: 60_000 }, async () => {
        assert.ok(javaTlsServer);
        for (const serialize of SERIALIZATIONS) {
          // The fixture certificate has SAN IP:127.0.0.1, so the server is verified, not trusted blindly.
          const client = await tsClient(serialize, { useTLS: true, tls: { ca: readFileSync(TLS_CERT) } });
          const body = randomBytes(1024 * 1024);
          const response = await client.invokeSync(javaTlsServer.addr, echoRequest({ body, ext: UNICODE_EXT, remark: UNICODE_REMARK }), TIMEOUT_MS);
          assert.equal(response.code, ResponseCode.SUCCESS);
          assert.equal(response.remark, UNICODE_REMARK);
          assert.deepEqual(response.extFields, UNICODE_EXT);
          assertSameBody(bodyOf(response), body, `TLS ${serialize}`);
          const callback = await client.invokeSync(
            javaTlsServer.addr,
            RemotingCommand.createRequestCommand(PeerCode.CALLBACK, undefined, Buffer.from('tls-callback')),
            TIMEOUT_MS,
          );
          assert.equal(bodyOf(callback).toString(), 'tls-callback');
        }
      });

      it('TS plain client -> Java server, TLS enforcing: refused', { timeout: 30_000 }, async () => {
        assert.ok(javaTlsServer);
        const client = await tsClient('JSON');
        await assert.rejects(client.invokeSync(javaTlsServer.addr, echoRequest(), 3000));
      });

      it('Java client --tls -> TS server, permissive and enforcing; plain Java client -> permissive', { timeout: 120_000 }, async () => {
        const scenarios: Scenario[] = ['echo-sizes', 'unicode', 'callback', 'async-many'];
        const [permissiveTls, enforcingTls, permissivePlain] = await Promise.all([
          runJavaClient(classpath, tsPermissiveAddr, 'JSON', scenarios, { tls: true }),
          runJavaClient(classpath, tsEnforcingAddr, 'ROCKETMQ', scenarios, { tls: true }),
          runJavaClient(classpath, tsPermissiveAddr, 'ROCKETMQ', ['unicode', 'callback']),
        ]);
        for (const scenario of scenarios) {
          assertJavaReport(scenario, permissiveTls.get(scenario) ?? {}, 'JSON');
          assertJavaReport(scenario, enforcingTls.get(scenario) ?? {}, 'ROCKETMQ');
        }
        assertJavaReport('unicode', permissivePlain.get('unicode') ?? {}, 'ROCKETMQ');
        assertJavaReport('callback', permissivePlain.get('callback') ?? {}, 'ROCKETMQ');
      });

      it('plain Java client -> TS server, TLS enforcing: refused', { timeout: 60_000 }, async () => {
        const reports = await runJavaClient(classpath, tsEnforcingAddr, 'JSON', ['unknown-code']);
        const report = reports.get('unknown-code') ?? {};
        assert.equal(report['code'], undefined, JSON.stringify(report));
        assert.match(String(report['error']), /^Remoting(SendRequest|Connect|Timeout)Exception$/, JSON.stringify(report));
      });
    });
  });
}
