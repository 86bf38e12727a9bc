/**
 * An in-process name server + broker with its gRPC endpoint on a free loopback port, the topics (with their
 * message.type) and subscription groups a gRPC test needs, registered with the name server: the setup every
 * grpc-*.test.ts shares, in one place.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthConfig } from '../../src/broker/auth/auth-config.js';
import type { BrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { GrpcEndpointOptions } from '../../src/broker/grpc-endpoint.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { defaultSubscriptionGroupConfig, type SubscriptionGroupConfig } from '../../src/protocol/bodies/subscription-group-wrapper.js';
import { defaultTopicConfig } from '../../src/protocol/bodies/topic-config.js';
import { startTestBroker, startTestNamesrv } from './cluster.js';

/** A topic's message.type attribute; `null` creates the topic without one. */
export type GrpcTopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'MIXED' | null;

export interface GrpcTestBrokerOptions {
  /** The temp directory's name prefix (under the OS temp dir). */
  prefix?: string;
  broker?: Partial<BrokerConfig>;
  auth?: AuthConfig;
  /** Over the defaults: port 0, loopback, 4 MiB messages, no topic auto-creation; null: no gRPC endpoint. */
  grpc?: Partial<GrpcEndpointOptions> | null;
  /** Topic name → message.type; each gets `queues` read and write queues. */
  topics?: Record<string, GrpcTopicType>;
  queues?: number;
  /** Group name → what differs from Java's default group (consumeMessageOrderly, retryMaxTimes…). */
  groups?: Record<string, Partial<SubscriptionGroupConfig>>;
}

export interface GrpcTestBroker {
  dir: string;
  namesrv: NamesrvController;
  namesrvAddr: string;
  broker: BrokerController;
  /** host:port of the gRPC endpoint, what the SDKs take as `endpoints` (port 0 without one). */
  endpoint: string;
  port: number;
  /** Shuts the broker and the name server down and deletes the directory. */
  stop(): Promise<void>;
}

export async function startGrpcTestBroker(options: GrpcTestBrokerOptions = {}): Promise<GrpcTestBroker> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix ?? 'rmq-grpc-'));
  const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
  const broker = await startTestBroker(dir, namesrvAddr, {
    ...(options.broker === undefined ? {} : { broker: options.broker }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.grpc === null ? {} : { grpc: { port: 0, bindAddress: '127.0.0.1', maxMessageSize: 4 * 1024 * 1024, autoCreateTopics: false, ...options.grpc } }),
  });
  const queues = options.queues ?? 4;
  for (const [name, type] of Object.entries(options.topics ?? {})) {
    const attributes = type === null ? new Map<string, string>() : new Map([['message.type', type]]);
    await broker.topicConfigManager.updateTopicConfig({ ...defaultTopicConfig(name), readQueueNums: queues, writeQueueNums: queues, attributes });
  }
  for (const [name, overrides] of Object.entries(options.groups ?? {})) {
    await broker.subscriptionGroupManager.updateSubscriptionGroupConfig({ ...defaultSubscriptionGroupConfig(name), ...overrides });
  }
  await broker.registerBrokerAll();
  const port = broker.grpcEndpoint?.port ?? 0;
  return {
    dir,
    namesrv,
    namesrvAddr,
    broker,
    endpoint: `127.0.0.1:${port}`,
    port,
    stop: async () => {
      await broker.shutdown();
      await namesrv.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The test TLS pair (test/fixtures/tls): the SDKs that speak TLS trust any certificate. */
export async function testTls(): Promise<{ key: Buffer; cert: Buffer }> {
  const fixtures = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
  return { key: await readFile(`${fixtures}server.key`), cert: await readFile(`${fixtures}server.crt`) };
}
