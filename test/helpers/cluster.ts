/**
 * A name server and brokers as `dev` runs them, in this process, on free loopback ports: for tests that need more
 * control than rocketmq-ts/testing's startDevCluster gives (stopping only the broker, restarting it on a new port,
 * several brokers, options the package does not offer). A test that needs a whole cluster uses startDevCluster.
 */
import { join } from 'node:path';
import { defaultBrokerConfig, type BrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { AuthConfig } from '../../src/broker/auth/auth-config.js';
import type { GrpcEndpointOptions } from '../../src/broker/grpc-endpoint.js';
import { createBrokerController } from '../../src/broker/broker-startup.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { defaultNamesrvConfig } from '../../src/namesrv/config.js';
import { NamesrvController } from '../../src/namesrv/name-server.js';
import { createMessageStoreConfig, type MessageStoreConfig } from '../../src/store/message-store-config.js';

export async function startTestNamesrv(dir: string): Promise<{ namesrv: NamesrvController; namesrvAddr: string }> {
  const namesrv = new NamesrvController({ ...defaultNamesrvConfig(dir), listenPort: 0, bindAddress: '127.0.0.1' }, { logger: silentLogger });
  await namesrv.start();
  return { namesrv, namesrvAddr: `127.0.0.1:${namesrv.port}` };
}

/** A started broker whose store lives in `dir`/broker; the same `dir` again restarts it on its data. */
export async function startTestBroker(
  dir: string,
  namesrvAddr: string,
  options: { broker?: Partial<BrokerConfig>; store?: Partial<MessageStoreConfig>; auth?: AuthConfig; grpc?: GrpcEndpointOptions; logger?: Logger } = {},
): Promise<BrokerController> {
  const storePathRootDir = join(dir, 'broker');
  const broker = createBrokerController(
    {
      ...defaultBrokerConfig(dir),
      brokerName: 'broker-a',
      namesrvAddr,
      brokerIP1: '127.0.0.1',
      brokerIP2: '127.0.0.1',
      listenPort: 0,
      bindAddress: '127.0.0.1',
      storePathRootDir,
      autoCreateTopicEnable: true,
      ...options.broker,
    },
    createMessageStoreConfig({ storePathRootDir, ...options.store }),
    options.logger ?? silentLogger,
    { ...(options.auth === undefined ? {} : { authConfig: options.auth }), ...(options.grpc === undefined ? {} : { grpc: options.grpc }) },
  );
  await broker.start();
  return broker;
}
