import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../../src/broker/broker-config.js';
import { BrokerController } from '../../../src/broker/broker-controller.js';
import { MAX_SENDS_IN_STORE } from '../../../src/broker/latency/send-thread-pool-queue.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../../src/index.js';
import type { PutMessageResult } from '../../../src/store/message-store.js';
import { deferred } from '../../helpers/wait.js';
import { FakeMessageStore, MemoryConfigStore } from './support.js';

/** A store whose puts answer what the test says, when the test says. */
class ScriptedStore extends FakeMessageStore {
  next: () => Promise<PutMessageResult> = () => Promise.resolve({ status: 'SERVICE_NOT_AVAILABLE' });
  override putMessage(): Promise<PutMessageResult> {
    return this.next();
  }
}

const appendResult = { wroteOffset: 1234, wroteBytes: 100, msgId: '7F00000100002A9F00000000000004D2', storeTimestamp: 1, logicsOffset: 17, msgNum: 1 };

describe('send status mapping and flow control', () => {
  let broker: BrokerController;
  let store: ScriptedStore;
  let client: RemotingClient;
  let addr: string;
  const send = (timeout = 5000) =>
    client.invokeAsync(
      addr,
      RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, { a: 'PG', b: 'TBW102', c: 'TBW102', d: 4, e: 0, f: 0, g: 0, h: 0 }, Buffer.from('x')),
      timeout,
    );

  before(async () => {
    store = new ScriptedStore();
    broker = new BrokerController(
      { ...defaultBrokerConfig('/nonexistent'), brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0, namesrvAddr: '' },
      { configStore: new MemoryConfigStore(), messageStore: store },
    );
    await broker.start();
    client = new RemotingClient();
    await client.start();
    addr = `127.0.0.1:${broker.port}`;
  });
  after(async () => {
    await client.shutdown();
    await broker.shutdown();
  });

  it('never answers SUCCESS for a message the store did not write (D3, D11)', async () => {
    const cases: [PutMessageResult, number][] = [
      [{ status: 'SERVICE_NOT_AVAILABLE' }, ResponseCode.SERVICE_NOT_AVAILABLE],
      [{ status: 'CREATE_MAPPED_FILE_FAILED' }, ResponseCode.SYSTEM_ERROR],
      [{ status: 'OS_PAGE_CACHE_BUSY' }, ResponseCode.SYSTEM_BUSY],
      [{ status: 'UNKNOWN_ERROR', appendResult }, ResponseCode.SYSTEM_ERROR],
      [{ status: 'PROPERTIES_SIZE_EXCEEDED' }, ResponseCode.MESSAGE_ILLEGAL],
      [{ status: 'FLUSH_DISK_TIMEOUT', appendResult }, ResponseCode.FLUSH_DISK_TIMEOUT],
      [{ status: 'PUT_OK', appendResult }, ResponseCode.SUCCESS],
    ];
    for (const [result, code] of cases) {
      store.next = () => Promise.resolve(result);
      const response = await send();
      assert.equal(response.code, code, `${result.status} -> ${response.code} ${response.remark}`);
      assert.equal(response.extFields?.['MSG_REGION'], 'DefaultRegion');
      const stored = code === ResponseCode.SUCCESS || code === ResponseCode.FLUSH_DISK_TIMEOUT;
      assert.equal(response.extFields?.['msgId'] !== undefined, stored);
      if (stored) assert.equal(response.extFields?.['queueOffset'], '17');
    }
  });

  it('answers SYSTEM_BUSY [TIMEOUT_CLEAN_QUEUE] to sends that waited 200 ms for a stalled store (D10)', async () => {
    const stall = deferred<PutMessageResult>();
    store.next = () => stall.promise;
    const extra = 20;
    const started = Date.now();
    const responses = Array.from({ length: MAX_SENDS_IN_STORE + extra }, () => send(10_000).then((r) => ({ r, at: Date.now() - started })));
    const settled = await Promise.race([Promise.all(responses.slice(MAX_SENDS_IN_STORE)), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no fast failure')), 3000))]);
    for (const { r, at } of settled) {
      assert.equal(r.code, ResponseCode.SYSTEM_BUSY);
      assert.match(r.remark ?? '', /^\[TIMEOUT_CLEAN_QUEUE\]broker busy, start flow control for a while, period in queue: \d+ms, size of queue: \d+$/);
      assert.ok(at >= 190 && at < 1000, `answered after ${at} ms`);
    }
    stall.resolve({ status: 'PUT_OK', appendResult });
    const stored = await Promise.all(responses.slice(0, MAX_SENDS_IN_STORE));
    assert.ok(stored.every(({ r }) => r.code === ResponseCode.SUCCESS));
  });
});
