import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// Compiled to dist-test/test/unit: read the TypeScript sources, not the output.
const srcRoot = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Which top-level folders of src/ each folder may import (the layering of docs/ARCHITECTURE.md). */
const allowed: Record<string, string[]> = {
  common: ['common'],
  protocol: ['common', 'protocol'],
  remoting: ['common', 'protocol', 'remoting'],
  namesrv: ['common', 'protocol', 'remoting', 'store', 'namesrv'],
  store: ['common', 'protocol', 'store'],
  filter: ['common', 'protocol', 'filter'],
  // src/grpc: the 5.x gRPC schema and codec (pure) and its transport (src/grpc/transport, the only grpc-js user).
  grpc: ['common', 'protocol', 'grpc'],
  broker: ['common', 'protocol', 'remoting', 'store', 'filter', 'grpc', 'broker'],
  client: ['common', 'protocol', 'remoting', 'filter', 'client'],
  // The web console: pages and JSON over the client's admin layer, carried by remoting's HttpEndpoint.
  console: ['common', 'protocol', 'remoting', 'client', 'console'],
  cli: ['*'],
  // rocketmq-ts/testing composes a name server, a broker (built as BrokerStartup builds it) and a client Admin for
  // application test suites; nothing in src/ imports it (checked below), the CLI included.
  testing: ['common', 'protocol', 'store', 'broker', 'namesrv', 'client', 'testing'],
};
/** Node modules that do I/O: the pure layers must not touch them. */
const ioModules = /^node:(net|tls|fs|fs\/promises|dgram|http|https|child_process|timers)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1] as string);
}

describe('architecture', () => {
  it('knows every top-level folder of src/', () => {
    const folders = readdirSync(srcRoot, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    assert.deepEqual(folders.filter((f) => allowed[f] === undefined), []);
  });

  const files = sourceFiles(srcRoot);

  it('finds the sources', () => {
    assert.ok(files.length > 10);
  });

  it('keeps the layering: common <- protocol <- remoting; nothing imports the CLI', () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      const layer = rel.includes('/') ? (rel.split('/')[0] as string) : 'root';
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        const targetLayer = target.split('/')[0] as string;
        if (targetLayer === 'cli' && layer !== 'cli') violations.push(`${rel} imports the CLI (${spec})`);
        const ok = allowed[layer];
        if (ok !== undefined && !ok.includes('*') && !ok.includes(targetLayer)) violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps rocketmq-ts/testing a leaf: no module of src/ outside it imports it', () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (rel.startsWith('testing/')) continue;
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.') && relative(srcRoot, join(file, '..', spec)).startsWith('testing/')) violations.push(`${rel} imports ${spec}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps the gRPC schema and codec pure: only src/grpc/transport imports @grpc/grpc-js and socket modules', () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('@grpc/') && !rel.startsWith('grpc/transport/')) violations.push(`${rel} imports ${spec}`);
        if (rel.startsWith('grpc/') && !rel.startsWith('grpc/transport/') && ioModules.test(spec)) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.') || !rel.startsWith('grpc/') || rel.startsWith('grpc/transport/')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('grpc/transport/')) violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('loads the gRPC transport server only by dynamic import (grpc-js stays unloaded without grpcServerPort)', () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (rel.startsWith('grpc/transport/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
        const target = relative(srcRoot, join(file, '..', m[3] as string));
        if (target === 'grpc/transport/grpc-server.js' && m[2] === undefined) violations.push(`${rel} imports ${target} statically`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps the broker gRPC activities (src/broker/grpc) free of the transport: they see handler interfaces and decoded messages', () => {
    // handler.ts of the transport is the seam (plain interfaces, no grpc-js types): the broker implements it.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('broker/grpc/')) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec) || spec.startsWith('@grpc/')) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('remoting/') || target.startsWith('broker/processors/')) violations.push(`${rel} -> ${target}`);
        if (target.startsWith('grpc/transport/') && target !== 'grpc/transport/handler.js') violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('opens sockets only in src/remoting and src/grpc/transport, and files only in src/store, the CLI, the broadcasting offset file and kernel-input', () => {
    const socketModules = /^node:(net|tls|http|https|http2|dgram)$/;
    const fileModules = /^node:fs(\/promises)?$/;
    // The broadcasting consumer keeps its own offsets in a local file, as Java's LocalFileOffsetStore does; the
    // remoting layer reads a reset socket's descriptor (kernel-input.ts), never a file.
    const fileOwners = [/^store\//, /^cli\//, /^client\/consumer\/local-file-offset-store\.ts$/, /^remoting\/kernel-input\.ts$/];
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      for (const spec of importsOf(file)) {
        if (socketModules.test(spec) && !rel.startsWith('remoting/') && !rel.startsWith('grpc/transport/')) violations.push(`${rel} imports ${spec}`);
        if (fileModules.test(spec) && !fileOwners.some((owner) => owner.test(rel))) violations.push(`${rel} imports ${spec}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps the web console (src/console) to pages and JSON: no sockets or files of its own, remoting only for its HttpEndpoint, the cluster through the admin layer', () => {
    // It reaches the cluster as the CLI does (Admin, Producer): never the broker's or name server's internals, so
    // what it shows is what `--json` prints, and no page can make the broker read or write a file.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('console/')) continue;
      for (const spec of importsOf(file)) {
        if (/^node:(net|tls|http|https|http2|dgram|fs|fs\/promises|child_process)$/.test(spec)) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('remoting/') && target !== 'remoting/http-endpoint.js') violations.push(`${rel} -> ${target}`);
        if (target.startsWith('client/') && !/^client\/(admin\/|producer\/|client-manager\.js$)/.test(target)) violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it("keeps the admin views (src/client/admin/*-views.ts) to Admin calls: no transport, no broker internals, so they read Java's brokers too", () => {
    // The console's pending transactions and timers are read from system topics with ordinary pulls, as an operator
    // could against any broker: never through our broker's transaction or timer code.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!/^client\/admin\/[a-z-]+-views\.ts$/.test(rel)) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec) || /^node:(http2|net|tls)$/.test(spec)) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (!target.startsWith('protocol/') && !target.startsWith('client/admin/')) violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it("keeps the stats windows (src/common/stats) pure and shared: the broker's and the client's counters sample the same StatsItem", () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (rel.startsWith('common/stats/')) {
        for (const spec of importsOf(file)) if (!spec.startsWith('./')) violations.push(`${rel} imports ${spec}`);
      }
      // One StatsItem: no second copy of the windows elsewhere.
      if (!rel.startsWith('common/stats/') && /\bclass StatsItem(Set)?\b/.test(readFileSync(file, 'utf8'))) violations.push(`${rel} defines its own StatsItem`);
    }
    assert.deepEqual(violations, []);
  });

  it('keeps the HA state machines (src/store/ha) free of sockets and files: they see HALink streams and the store, the broker gives them sockets', () => {
    // The replication bytes belong to the store; src/remoting/raw-stream.ts is their transport, wired by src/broker/broker-ha.ts.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('store/ha/')) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec)) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        // The one protocol file: the 907 body shapes they report (Java's HAService builds HARuntimeInfo too).
        if (!target.startsWith('store/') && !target.startsWith('common/') && target !== 'protocol/bodies/ha-runtime-info.js') violations.push(`${rel} -> ${target}`);
        if (/^store\/(mapped-file|storage-io|fd-cache)/.test(target)) violations.push(`${rel} -> ${target} (through the store's API, not its files)`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps broker features (transactions, timers) free of transports: only their processors adapt requests to them', () => {
    // A feature's manager is driven by processors and timers; it never sees a connection, a request or a server.
    const featureHomes = [/^broker\/transaction\//, /^broker\/timer\//, /^store\/timer\//];
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!featureHomes.some((home) => home.test(rel))) continue;
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('remoting/') || target.startsWith('broker/processors/')) violations.push(`${rel} -> ${target}`);
        // The timer store is below the broker: it knows the message store, not the broker's managers.
        if (rel.startsWith('store/timer/') && target.startsWith('broker/')) violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps the shared send paths (src/broker/send: sends, consumer send-back) free of transports: remoting and gRPC both adapt them', () => {
    // ForwardMessageToDeadLetterQueue reuses CONSUMER_SEND_MSG_BACK's code: it must not need a RemotingCommand.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('broker/send/')) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec) || spec.includes('grpc')) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('remoting/') || target.startsWith('broker/grpc/') || target.replace(/\.js$/, '.ts') === 'protocol/remoting-command.ts') {
          violations.push(`${rel} -> ${target}`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps the POP engine (src/broker/pop) transport-free: the remoting processors and the gRPC activities adapt to it', () => {
    // One engine serves POP_MESSAGE & co. and the gRPC ReceiveMessage/Ack/ChangeInvisibleDuration: it never sees
    // a request, a connection or a server, and it keeps its state through the store and the ConfigStore only.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('broker/pop/')) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec) || /^node:(http2|net|tls)$/.test(spec) || spec.includes('grpc')) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (
          target.startsWith('remoting/') ||
          target.startsWith('broker/processors/') ||
          target.startsWith('grpc/') ||
          target.startsWith('broker/grpc/') ||
          // Specifiers name the compiled .js file.
          target.replace(/\.js$/, '.ts') === 'protocol/remoting-command.ts'
        ) {
          violations.push(`${rel} -> ${target}`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps roles and metadata sync (src/broker/slave) free of transports and files: the outer API fetches, the config store writes', () => {
    // SlaveSynchronize sees the master's answers as decoded bodies through an interface (BrokerOuterAPI is one),
    // and writes through the managers; the pull suggestion and role checks are pure.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('broker/slave/')) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec) || /^node:(http2|net|tls)$/.test(spec) || spec.includes('grpc')) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('remoting/') || target.startsWith('broker/processors/') || target.startsWith('broker/out/') || target.replace(/\.js$/, '.ts') === 'protocol/remoting-command.ts') {
          violations.push(`${rel} -> ${target}`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps ACL 2.0 (src/broker/auth) free of transports and files: only its pipeline sees requests', () => {
    // Users, ACLs, the evaluators and the resource table read plain values; auth-pipeline.ts adapts a request to
    // them, and the admin processor (3001-3010) lives with the other processors. Users and ACLs are stored through
    // the broker's ConfigStore, and the migrator (migrateAuthFromV1Enabled) reads the ACL 1.0 files through an
    // AclFileStore: nothing here opens a file.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('broker/auth/')) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec)) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('store/')) violations.push(`${rel} -> ${target}`);
        if (rel === 'broker/auth/auth-pipeline.ts') continue;
        if (target.startsWith('remoting/') || target.startsWith('broker/processors/') || target.replace(/\.js$/, '.ts') === 'protocol/remoting-command.ts') violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps ACL 1.0 (src/broker/acl) free of transports and files: only its RPC hook sees requests', () => {
    // The permission manager validates what the hook parsed from a request and reads its files through an
    // AclFileStore (src/store/plain-acl-file-store.ts); plain-access-validator.ts is the hook, the one adapter.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('broker/acl/')) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec)) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec));
        if (target.startsWith('broker/processors/') || target.startsWith('store/')) violations.push(`${rel} -> ${target}`);
        if (target.startsWith('remoting/') && rel !== 'broker/acl/plain-access-validator.ts') violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('keeps src/protocol, src/common and src/filter free of I/O', () => {
    // The SQL92 compiler and evaluator (src/filter) are pure like the protocol: the broker and the client share them.
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!rel.startsWith('protocol/') && !rel.startsWith('common/') && !rel.startsWith('filter/')) continue;
      for (const spec of importsOf(file)) if (ioModules.test(spec)) violations.push(`${rel} imports ${spec}`);
    }
    assert.deepEqual(violations, []);
  });

  it('keeps message trace records, their view and W3C trace context pure; only propagation.ts loads OpenTelemetry', () => {
    // The codec (records, and the trace messages' batch body), the assembled view (Admin.queryTrace) and the W3C parsing are shared by producers, consumers, the
    // admin and the CLI: they import nothing that sends, stores or loads; the OpenTelemetry API is loaded lazily by
    // propagation.ts alone.
    const pure = ['trace-context.ts', 'trace-data-encoder.ts', 'trace-batch-encoder.ts', 'message-trace.ts', 'w3c-trace-context.ts'].map((name) => `client/trace/${name}`);
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcRoot, file);
      if (!pure.includes(rel)) continue;
      for (const spec of importsOf(file)) {
        if (ioModules.test(spec)) violations.push(`${rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(srcRoot, join(file, '..', spec)).replace(/\.js$/, '.ts');
        if (!target.startsWith('protocol/') && !pure.includes(target)) violations.push(`${rel} -> ${target}`);
      }
    }
    assert.deepEqual(violations, []);
    const dynamicImports = files.filter((file) => /\bimport\(/.test(readFileSync(file, 'utf8'))).map((file) => relative(srcRoot, file));
    assert.ok(dynamicImports.includes('client/trace/propagation.ts'));
  });

  it('loads @opentelemetry/api (an optional peer dependency) only lazily, in the trace propagation and the metrics bridge', () => {
    const mentions = files.filter((file) => readFileSync(file, 'utf8').includes("'@opentelemetry/")).map((file) => relative(srcRoot, file));
    assert.deepEqual(mentions.sort(), ['client/otel-metrics.ts', 'client/trace/propagation.ts']);
    for (const file of files) assert.ok(!importsOf(file).some((spec) => spec.startsWith('@opentelemetry/')), relative(srcRoot, file));
  });

  it('records server metrics without transports in the broker: only the remoting servers time answers', () => {
    // The rpc latency histogram is recorded at RemotingAbstract.writeResponse alone; the broker's event metrics
    // (src/broker/stats) see managers and names, never a channel.
    const violations = files
      .filter((file) => relative(srcRoot, file).startsWith('broker/stats/'))
      .flatMap((file) => importsOf(file).filter((spec) => /remoting-(channel|server|abstract)/.test(spec) || ioModules.test(spec)).map((spec) => `${relative(srcRoot, file)} imports ${spec}`));
    assert.deepEqual(violations, []);
  });
});
