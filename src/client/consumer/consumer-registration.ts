import type { Logger } from '../../common/logger.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { MQClientInstance } from '../client-instance.js';
import { MQClientManager } from '../client-manager.js';
import { resolveClientConfig, type ClientOptions } from '../config.js';
import { MQClientError } from '../errors.js';
import type { NetworkEventSink, RemoveInstrumentationListener } from '../instrumentation.js';
import { ConsumerAPI } from './consumer-api.js';
import { DEFAULT_LOCAL_OFFSET_STORE_DIR, LocalFileOffsetStore } from './local-file-offset-store.js';
import type { MQConsumerInner } from './mq-consumer-inner.js';
import { RemoteBrokerOffsetStore, type OffsetStore } from './offset-store.js';

/** What a consumer holds while it runs, whatever its kind. */
export interface ConsumerRegistration {
  readonly instance: MQClientInstance;
  readonly api: ConsumerAPI;
  readonly offsetStore: OffsetStore;
  /** mqClientApiTimeout of the consumer's configuration. */
  readonly timeoutMillis: number;
  readonly removeInstrumentation: RemoveInstrumentationListener;
}

export interface ConsumerRegistrationOptions extends ClientOptions {
  clientManager?: MQClientManager;
  offsetStoreDir?: string;
}

/**
 * The first steps of DefaultMQPushConsumerImpl.start and DefaultLitePullConsumerImpl.start: the process's client
 * instance for this configuration, the offset store of the message model (broker offsets for clustering, the
 * local file for broadcasting) loaded, and the consumer registered under its group — once per group and client
 * id, as in Java. The instance is not started here.
 */
export async function registerConsumer(
  consumer: MQConsumerInner,
  options: ConsumerRegistrationOptions,
  hooks: {
    readonly logger: Logger;
    readonly network: NetworkEventSink;
    readonly onCommitted: (offsets: { queue: MessageQueue; offset: number }[]) => void;
    readonly findBrokerAddr: (brokerName: string, onlyMaster: boolean) => Promise<string | undefined>;
  },
): Promise<ConsumerRegistration> {
  const config = resolveClientConfig(options);
  const instance = (options.clientManager ?? MQClientManager.getInstance()).getOrCreateMQClientInstance(config);
  const api = new ConsumerAPI(instance.remotingClient);
  const offsetStore: OffsetStore =
    consumer.messageModel === 'BROADCASTING'
      ? new LocalFileOffsetStore(options.offsetStoreDir ?? DEFAULT_LOCAL_OFFSET_STORE_DIR, instance.clientId, consumer.groupName, hooks.logger)
      : new RemoteBrokerOffsetStore(consumer.groupName, api, hooks.findBrokerAddr, config.mqClientApiTimeout, hooks.logger, hooks.onCommitted);
  await offsetStore.load();
  if (!instance.registerConsumer(consumer.groupName, consumer)) {
    throw new MQClientError(`The consumer group[${consumer.groupName}] has been created before, specify another name please.`);
  }
  return { instance, api, offsetStore, timeoutMillis: config.mqClientApiTimeout, removeInstrumentation: instance.addInstrumentation(hooks.network) };
}

/** The last steps of shutdown: the group unregistered from the brokers, then the instance stopped unless shared. */
export async function unregisterConsumer(consumer: MQConsumerInner, registration: ConsumerRegistration): Promise<void> {
  await registration.instance.unregisterConsumer(consumer.groupName);
  registration.removeInstrumentation();
  await registration.instance.shutdown();
}
