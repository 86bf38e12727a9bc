/**
 * The broker loads the gRPC transport (and @grpc/grpc-js, ~50 ms of start-up) only when it serves gRPC: a broker
 * without grpcServerPort never pays for it. grpc-js is CommonJS, so whether it was loaded shows in require.cache.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTestBroker, startTestNamesrv } from '../../helpers/cluster.js';

const require = createRequire(import.meta.url);
const grpcJsModules = (): number => Object.keys(require.cache).filter((path) => path.includes('@grpc/grpc-js')).length;

describe('gRPC transport loading', () => {
  it('a broker without a gRPC port never loads grpc-js; one with a gRPC port loads it on start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-grpc-lazy-'));
    const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
    try {
      const plain = await startTestBroker(join(dir, 'plain'), namesrvAddr);
      await plain.shutdown();
      assert.equal(grpcJsModules(), 0, 'grpc-js loaded by a broker that does not serve gRPC');
      const served = await startTestBroker(join(dir, 'grpc'), namesrvAddr, { grpc: { port: 0, bindAddress: '127.0.0.1', maxMessageSize: 4 << 20, autoCreateTopics: false } });
      try {
        assert.ok((served.grpcEndpoint?.port ?? 0) > 0);
        assert.ok(grpcJsModules() > 0, 'grpc-js loaded once gRPC is served');
      } finally {
        await served.shutdown();
      }
    } finally {
      await namesrv.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
