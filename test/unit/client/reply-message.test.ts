/**
 * Request-reply pieces without a broker: createReplyMessage (Java's MessageUtil.createReplyMessage), the code a reply
 * is sent with, the client's answer to PUSH_REPLY_MESSAGE_TO_CLIENT (decoding, inflating, ARRIVE_TIME, SUCCESS for a
 * reply nobody waits for), and the request table.
 */
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ClientRemotingProcessor } from '../../../src/client/client-remoting-processor.js';
import { MessageClientIDSetter } from '../../../src/client/message-client-id.js';
import { prepareMessage, toMessage } from '../../../src/client/producer/producer-message.js';
import { RequestFutureHolder } from '../../../src/client/producer/request-future-holder.js';
import { silentLogger } from '../../../src/common/logger.js';
import {
  ClientErrorCode,
  MQClientError,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  createReplyMessage,
  getReplyTopic,
  messageProperties2String,
  type ReplyMessage,
} from '../../../src/index.js';
import type { RequestContext } from '../../../src/remoting/request-processor.js';

const REQUEST = {
  properties: { CLUSTER: 'DefaultCluster', REPLY_TO_CLIENT: '10.0.0.1@123#4', CORRELATION_ID: 'c-1', TTL: '3000', UNIQ_KEY: 'U1', TAGS: 'Ping', mine: 'x' },
};

describe('createReplyMessage', () => {
  it("answers to the request's cluster reply topic with MSG_TYPE=reply and the request's CORRELATION_ID, REPLY_TO_CLIENT and TTL", () => {
    assert.equal(getReplyTopic('DefaultCluster'), 'DefaultCluster_REPLY_TOPIC');
    assert.deepEqual(createReplyMessage(REQUEST, 'pong'), {
      topic: 'DefaultCluster_REPLY_TOPIC',
      body: 'pong',
      properties: { MSG_TYPE: 'reply', CORRELATION_ID: 'c-1', REPLY_TO_CLIENT: '10.0.0.1@123#4', TTL: '3000' },
    });
  });

  it('adds tags, keys and user properties, but never over the reply properties', () => {
    const reply = createReplyMessage(REQUEST, Buffer.from('pong'), { tags: 'Pong', keys: ['k1'], properties: { a: '1', CORRELATION_ID: 'forged', MSG_TYPE: 'x' } });
    assert.equal(reply.tags, 'Pong');
    assert.deepEqual(reply.keys, ['k1']);
    assert.deepEqual(reply.properties, { a: '1', CORRELATION_ID: 'c-1', MSG_TYPE: 'reply', REPLY_TO_CLIENT: '10.0.0.1@123#4', TTL: '3000' });
  });

  it('leaves out what the request lacks (Java puts null, which is not sent)', () => {
    assert.deepEqual(createReplyMessage({ properties: { CLUSTER: 'c2', CORRELATION_ID: 'c-2' } }, 'x').properties, { MSG_TYPE: 'reply', CORRELATION_ID: 'c-2' });
  });

  it("fails with CREATE_REPLY_MESSAGE_EXCEPTION (10007) and Java's message without CLUSTER or without a request", () => {
    assert.throws(() => createReplyMessage({ properties: { CORRELATION_ID: 'c' } }, 'x'), (err: unknown) => {
      assert.ok(err instanceof MQClientError);
      assert.equal(err.responseCode, ClientErrorCode.CREATE_REPLY_MESSAGE_EXCEPTION);
      assert.equal(err.message, 'create reply message fail, requestMessage error, property[CLUSTER] is null.');
      return true;
    });
    assert.throws(() => createReplyMessage(null as never, 'x'), { message: 'create reply message fail, requestMessage cannot be null.' });
  });

  it('makes a message the producer sends as a reply (SEND_REPLY_MESSAGE_V2), unlike any other', async () => {
    const limits = { maxMessageSize: 4 * 1024 * 1024, compressMsgBodyOverHowmuch: 4096, compressLevel: 5 };
    const ids = new MessageClientIDSetter('127.0.0.1');
    const reply = (await prepareMessage(toMessage(createReplyMessage(REQUEST, 'pong'), limits.maxMessageSize), limits, ids));
    assert.equal(reply.reply, true);
    const plain = (await prepareMessage(toMessage({ topic: 'T', body: 'x', properties: { MSG_TYPE: 'other' } }, limits.maxMessageSize), limits, ids));
    assert.equal(plain.reply, false);
  });
});

describe('PUSH_REPLY_MESSAGE_TO_CLIENT at the requester', () => {
  const ctx = { remoteAddr: '127.0.0.1:10911' } as RequestContext;

  function push(properties: Record<string, string>, body: Buffer, sysFlag = 0): RemotingCommand {
    const header = {
      producerGroup: 'ReplierPG',
      topic: 'DefaultCluster_REPLY_TOPIC',
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: 4,
      queueId: 0,
      sysFlag,
      bornTimestamp: 1000,
      flag: 7,
      properties: messageProperties2String(new Map(Object.entries(properties))),
      reconsumeTimes: 0,
      unitMode: false,
      bornHost: '127.0.0.1:5555',
      storeHost: '127.0.0.1:10911',
      storeTimestamp: 2000,
    };
    return RemotingCommand.createRequestCommand(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, header, body);
  }

  function processor(received: ReplyMessage[], known: boolean, warnings: string[] = []): ClientRemotingProcessor {
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    return new ClientRemotingProcessor(
      logger,
      () => undefined,
      () => undefined,
      () => undefined,
      (reply) => {
        received.push(reply);
        return known;
      },
    );
  }

  it('builds the reply (inflated, ARRIVE_TIME added) and answers SUCCESS', async () => {
    const received: ReplyMessage[] = [];
    const before = Date.now();
    const body = Buffer.alloc(10_000, 'reply ');
    const props = { MSG_TYPE: 'reply', CORRELATION_ID: 'c-9', REPLY_TO_CLIENT: 'me', TTL: '3000', UNIQ_KEY: 'U9', KEYS: 'a b', TAGS: 'Pong', PUSH_REPLY_TIME: '1999' };
    const response = await processor(received, true).processRequest(ctx, push(props, deflateSync(body), 0x301));
    assert.equal(response?.code, ResponseCode.SUCCESS);
    const [reply] = received;
    assert.ok(reply !== undefined);
    assert.deepEqual(reply.body, body);
    assert.equal(reply.correlationId, 'c-9');
    assert.equal(reply.msgId, 'U9');
    assert.deepEqual(reply.keys, ['a', 'b']);
    assert.equal(reply.tags, 'Pong');
    assert.equal(reply.topic, 'DefaultCluster_REPLY_TOPIC');
    assert.deepEqual([reply.flag, reply.sysFlag, reply.bornTimestamp, reply.storeTimestamp, reply.bornHost, reply.storeHost], [7, 0x301, 1000, 2000, '127.0.0.1:5555', '127.0.0.1:10911']);
    const arrived = Number(reply.properties['ARRIVE_TIME']);
    assert.ok(arrived >= before && arrived <= Date.now());
    assert.deepEqual(Object.keys(reply.properties).sort(), ['ARRIVE_TIME', 'CORRELATION_ID', 'KEYS', 'MSG_TYPE', 'PUSH_REPLY_TIME', 'REPLY_TO_CLIENT', 'TAGS', 'TTL', 'UNIQ_KEY']);
  });

  it('answers SUCCESS to a reply nobody waits for, with a warning; keeps a body that does not inflate', async () => {
    const received: ReplyMessage[] = [];
    const warnings: string[] = [];
    const response = await processor(received, false, warnings).processRequest(ctx, push({ CORRELATION_ID: 'late' }, Buffer.from('not zlib'), 1));
    assert.equal(response?.code, ResponseCode.SUCCESS);
    assert.equal(received[0]?.body.toString(), 'not zlib');
    assert.deepEqual(warnings, ['err when uncompress constant', 'receive reply message, but not matched any request, CorrelationId: late , reply from host: 127.0.0.1:5555']);
  });
});

describe('RequestFutureHolder', () => {
  it('settles each request once: by its reply, a failure, or the shutdown of its owner', () => {
    const holder = new RequestFutureHolder();
    const log: string[] = [];
    const future = (id: string, owner: object) => ({
      correlationId: id,
      owner,
      complete: (reply: ReplyMessage) => void log.push(`${id} reply ${reply.body.toString()}`),
      fail: (error: unknown, why: string) => void log.push(`${id} ${why} ${String(error)}`),
    });
    const a = {};
    const b = {};
    holder.register(future('1', a));
    holder.register(future('2', a));
    holder.register(future('3', b));
    assert.throws(() => holder.register(future('1', b)));
    assert.equal(holder.complete({ correlationId: '1', body: Buffer.from('x') } as ReplyMessage), true);
    assert.equal(holder.complete({ correlationId: '1', body: Buffer.from('y') } as ReplyMessage), false);
    holder.failAll(() => 'bye', a);
    holder.fail('3', 'late', 'timeout');
    holder.fail('3', 'again', 'timeout');
    assert.equal(holder.size, 0);
    assert.deepEqual(log, ['1 reply x', '2 shutdown bye', '3 timeout late']);
  });
});
