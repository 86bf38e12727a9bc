import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BoundedExecutor,
  RemotingClient,
  RemotingCommand,
  RemotingSendRequestError,
  RemotingTimeoutError,
  RemotingTooMuchRequestError,
  ResponseCode,
  type SerializeTypeName,
} from '../../../src/index.js';
import { PeerCode, startPeerServer } from '../../helpers/peer.js';
import { deferred } from '../../helpers/wait.js';

const serializeTypes: SerializeTypeName[] = ['JSON', 'ROCKETMQ'];

function request(code: number, header?: Record<string, string | number>, body?: Buffer, type: SerializeTypeName = 'JSON') {
  const cmd = RemotingCommand.createRequestCommand(code, header, body);
  cmd.serializeTypeCurrentRPC = type;
  return cmd;
}

describe('RemotingClient <-> RemotingServer', () => {
  let peer: Awaited<ReturnType<typeof startPeerServer>>;
  let client: RemotingClient;

  before(async () => {
    peer = await startPeerServer();
    client = new RemotingClient();
    await client.start();
  });
  after(async () => {
    await client.shutdown();
    await peer.server.shutdown();
  });

  for (const type of serializeTypes) {
    it(`sync, async and oneway calls work with ${type} headers, and responses come back in the same encoding`, async () => {
      const body = Buffer.from('héllo wörld ✓');
      const sync = await client.invokeSync(peer.addr, request(PeerCode.ECHO, { topic: 'T', n: 7 }, body, type), 3000);
      assert.equal(sync.code, ResponseCode.SUCCESS);
      assert.equal(sync.isResponseType(), true);
      assert.equal(sync.serializeTypeCurrentRPC, type);
      assert.deepEqual(sync.extFields, { topic: 'T', n: '7' });
      assert.deepEqual(sync.body, body);

      const req = request(PeerCode.ECHO, { k: 'v' }, undefined, type);
      req.remark = 'ünïcode remark 🚀';
      const async = await client.invokeAsync(peer.addr, req, 3000);
      assert.equal(async.opaque, req.opaque);
      assert.equal(async.remark, 'ünïcode remark 🚀');
      assert.equal(async.body, undefined);

      const before = peer.onewayCount();
      await client.invokeOneway(peer.addr, request(PeerCode.ONEWAY_SINK, undefined, undefined, type), 3000);
      const count = await client.invokeSync(peer.addr, request(PeerCode.COUNT, undefined, undefined, type), 3000);
      assert.equal(Number(count.remark), before + 1);
    });
  }

  it('answers an unknown code with REQUEST_CODE_NOT_SUPPORTED naming the code', async () => {
    const response = await client.invokeSync(peer.addr, request(4242), 3000);
    assert.equal(response.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    assert.equal(response.remark, ' request type 4242 not supported');
  });

  it('answers a throwing processor with SYSTEM_ERROR carrying the error', async () => {
    const response = await client.invokeSync(peer.addr, request(PeerCode.THROW), 3000);
    assert.equal(response.code, ResponseCode.SYSTEM_ERROR);
    assert.match(response.remark ?? '', /^Error: boom, (?!at )\S/);
  });

  it('answers a rejecting processor with SYSTEM_BUSY [REJECTREQUEST]', async () => {
    const response = await client.invokeSync(peer.addr, request(PeerCode.REJECT), 3000);
    assert.equal(response.code, ResponseCode.SYSTEM_BUSY);
    assert.match(response.remark ?? '', /^\[REJECTREQUEST\]system busy/);
  });

  it('pipelines 10 000 async requests on one connection and matches every response to its request', async () => {
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      client.invokeAsync(peer.addr, request(PeerCode.ECHO, { i }, Buffer.from(String(i)), i % 2 ? 'JSON' : 'ROCKETMQ'), 10_000),
    );
    const responses = await Promise.all(calls);
    responses.forEach((response, i) => {
      assert.equal(response.extFields?.['i'], String(i));
      assert.equal(response.body?.toString(), String(i));
    });
  });

  it('carries bodies up to 4 MiB intact, many in flight', async () => {
    const sizes = [0, 1, 1024, 64 * 1024 + 3, 1024 * 1024, 4 * 1024 * 1024];
    const bodies = sizes.map((size) => Buffer.alloc(size, size % 251));
    const responses = await Promise.all(
      bodies.flatMap((body) => [0, 1].map(() => client.invokeAsync(peer.addr, request(PeerCode.ECHO, {}, body), 10_000))),
    );
    responses.forEach((response, i) => {
      const expected = bodies[Math.floor(i / 2)] as Buffer;
      assert.equal(response.body?.length ?? 0, expected.length);
      if (expected.length > 0) assert.ok(response.body?.equals(expected));
    });
  });

  it('times out a sync call with RemotingTimeoutError whose stack shows the caller, then reconnects', async () => {
    const started = Date.now();
    const error = await client
      .invokeSync(peer.addr, request(PeerCode.SLOW, { sleepMs: 2000 }), 200)
      .then(() => assert.fail('expected a timeout'), (err: unknown) => err);
    assert.ok(error instanceof RemotingTimeoutError);
    assert.equal(error.addr, peer.addr);
    assert.equal(error.timeoutMillis, 200);
    assert.ok(Date.now() - started < 1500, 'a sync timeout fires on its own timer, not on the scan');
    assert.match(error.stack ?? '', /invoke\.test\.js/);
    // closeSocketIfTimeout: the channel was closed; the next call opens a new one.
    assert.equal(client.isChannelActive(peer.addr), false);
    const response = await client.invokeSync(peer.addr, request(PeerCode.ECHO), 3000);
    assert.equal(response.code, ResponseCode.SUCCESS);
  });

  it('calls back the client from the server on the same connection', async () => {
    client.registerProcessor(PeerCode.CLIENT_ECHO, {
      processRequest(_ctx, req) {
        const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, 'from client');
        response.body = Buffer.concat([Buffer.from('client:'), req.body ?? Buffer.alloc(0)]);
        return response;
      },
    });
    const response = await client.invokeSync(peer.addr, request(PeerCode.CALLBACK, {}, Buffer.from('ping')), 3000);
    assert.equal(response.code, ResponseCode.SUCCESS);
    assert.equal(response.remark, 'from client');
    assert.equal(response.body?.toString(), 'client:ping');
  });
});

describe('async permits and the response-table scan', () => {
  it('fails an unanswered async call from the scan, returns its permit, and refuses calls beyond the permits', async () => {
    const peer = await startPeerServer();
    const gate = deferred();
    peer.server.registerProcessor(7001, { processRequest: () => gate.promise.then(() => null) });
    const client = new RemotingClient({ clientAsyncSemaphoreValue: 1 });
    await client.start();
    try {
      const pending = client.invokeAsync(peer.addr, request(7001), 100);
      const settled = pending.then(
        () => assert.fail('expected a timeout'),
        (err: unknown) => err,
      );
      await new Promise((resolve) => setImmediate(resolve));
      // The only permit is taken: without waiting we are refused, with a wait we time out.
      await assert.rejects(client.invokeAsync(peer.addr, request(PeerCode.ECHO), 0), RemotingTooMuchRequestError);
      await assert.rejects(client.invokeAsync(peer.addr, request(PeerCode.ECHO), 50), RemotingTimeoutError);
      // Not yet expired: deadline + 1 s grace.
      client.scanResponseTable(Date.now() + 500);
      client.scanResponseTable(Date.now() + 1200);
      const error = await settled;
      assert.ok(error instanceof RemotingTimeoutError);
      // The permit came back exactly once: one call fits, and the semaphore did not grow.
      const ok = await client.invokeAsync(peer.addr, request(PeerCode.ECHO), 1000);
      assert.equal(ok.code, ResponseCode.SUCCESS);
      const blocker = client.invokeAsync(peer.addr, request(7001), 5000).catch((err: unknown) => err);
      await new Promise((resolve) => setImmediate(resolve));
      await assert.rejects(client.invokeAsync(peer.addr, request(PeerCode.ECHO), 0), RemotingTooMuchRequestError);
      await client.shutdown();
      assert.ok((await blocker) instanceof RemotingSendRequestError);
    } finally {
      gate.resolve();
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('times out an async call through the periodic scan without a manual nudge', async () => {
    const peer = await startPeerServer();
    peer.server.registerProcessor(7002, { processRequest: () => null });
    const client = new RemotingClient();
    await client.start();
    try {
      const started = Date.now();
      await assert.rejects(client.invokeAsync(peer.addr, request(7002), 100), RemotingTimeoutError);
      const waited = Date.now() - started;
      assert.ok(waited >= 1100 && waited < 5000, `first scan after 3 s fails deadline+1 s entries, waited ${waited}ms`);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('fails in-flight calls at once when the connection breaks', async () => {
    const peer = await startPeerServer();
    peer.server.registerProcessor(7003, { processRequest: () => null });
    const client = new RemotingClient();
    await client.start();
    try {
      const calls = [client.invokeAsync(peer.addr, request(7003), 30_000), client.invokeSync(peer.addr, request(7003), 30_000)];
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await peer.server.shutdown();
      for (const call of calls) await assert.rejects(call, RemotingSendRequestError);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await client.shutdown();
    }
  });
});

describe('processor executors', () => {
  it('answers SYSTEM_BUSY [OVERLOAD] when the executor queue is full, and serves the accepted ones', async () => {
    const peer = await startPeerServer();
    const gate = deferred();
    const executor = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 1 });
    peer.server.registerProcessor(
      7004,
      {
        async processRequest(_ctx, req) {
          await gate.promise;
          return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, req.extFields?.['n']);
        },
      },
      executor,
    );
    const client = new RemotingClient();
    await client.start();
    try {
      const first = client.invokeAsync(peer.addr, request(7004, { n: 1 }), 5000);
      const second = client.invokeAsync(peer.addr, request(7004, { n: 2 }), 5000);
      const third = await client.invokeAsync(peer.addr, request(7004, { n: 3 }), 5000);
      assert.equal(third.code, ResponseCode.SYSTEM_BUSY);
      assert.match(third.remark ?? '', /^\[OVERLOAD\]system busy/);
      gate.resolve();
      assert.equal((await first).remark, '1');
      assert.equal((await second).remark, '2');
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });
});
