import { silentLogger, type Logger } from '../../common/logger.js';
import { enums } from '../../grpc/schema.js';
import type { Msg, MsgInit } from '../../grpc/types.js';
import type { CallContext } from '../../grpc/transport/handler.js';
import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { CURRENT_VERSION, type LanguageName } from '../../protocol/language-code.js';
import type { ClientChannel } from '../client/client-channel.js';
import { newClientChannelInfo } from '../client/client-channel-info.js';
import type { ConsumerManager } from '../client/consumer-manager.js';
import type { ProducerManager } from '../client/producer-manager.js';
import { validateTopic } from '../topic/topic-validator.js';
import { mergeSettings, type GroupSettings, type GrpcSettingsConfig } from './client-settings.js';
import { GrpcClientChannel, subscriptionDataOf, type TelemetryCall } from './grpc-client-channel.js';
import { GrpcStatusError, OK, resourceName, status, type Status } from './grpc-status.js';

const Code = enums.Code;
const ClientType = enums.ClientType;

/** How long after a QueryRoute the Settings are written again (the Node SDK 1.0.8 start-up race, see below). */
const SETTINGS_REPUSH_DELAY_MILLIS = 50;

export interface ClientActivityDeps {
  producerManager: ProducerManager<ClientChannel>;
  consumerManager: ConsumerManager<ClientChannel>;
  /** The group's FIFO flag and retry policy; undefined for a group that does not exist and may not be created. */
  groupSettings: (group: string) => GroupSettings | undefined;
  settingsConfig: () => GrpcSettingsConfig;
  /** The client left (terminated, its Telemetry stream ended, or it expired): what it holds goes back (auto-renew). */
  onClientGone?: (clientId: string) => void;
  logger?: Logger;
}

/** x-mq-language as a remoting LanguageName (connection lists show it); Node sends HTTP, Go GOLANG. */
function languageOf(context: CallContext): LanguageName {
  const language = (context.metadata.get('x-mq-language') ?? '').toUpperCase();
  if (language === 'GOLANG') return 'GO';
  if (language === 'NODE_JS' || language === 'NODEJS') return 'NODE_JS';
  const known: readonly string[] = ['JAVA', 'CPP', 'DOTNET', 'PYTHON', 'HTTP', 'GO', 'PHP', 'RUST', 'RUBY'];
  return known.includes(language) ? (language as LanguageName) : 'OTHER';
}

/**
 * ClientActivity.java with GrpcClientSettingsManager and GrpcChannelManager: the gRPC clients by x-mq-client-id,
 * their Settings (received on Telemetry, answered merged with the server's values) and their registration in the
 * broker's producer table (producer group = topic, as the proxy does, so transaction checks find them) and
 * consumer table (so they show in consumer connection lists). Heartbeats keep them there; the broker's
 * housekeeping drops a client silent for channelExpiredTimeout (120 s) and closes its channel.
 */
export class ClientActivity {
  private readonly clients = new Map<string, GrpcClientChannel>();
  private readonly repushTimers = new Map<string, NodeJS.Timeout>();
  private readonly logger: Logger;

  constructor(private readonly deps: ClientActivityDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Forgets clients with no Telemetry stream that have not called for `expiredMillis` (channelExpiredTimeout). The
   * producer and consumer tables expire their members themselves; this catches the clients in neither (a producer
   * without topics, a client that never sent Settings). Returns how many were dropped.
   */
  scanNotActiveClients(expiredMillis: number, now = Date.now()): number {
    let dropped = 0;
    for (const channel of [...this.clients.values()]) {
      if (channel.isActive || now - channel.lastUpdateTimestamp <= expiredMillis) continue;
      this.logger.info(`gRPC client ${channel.clientId} (${channel.remoteAddr}) expired: no Telemetry stream and no call for ${expiredMillis} ms`);
      if (channel.settings !== undefined) this.unregister(channel, channel.settings);
      channel.close();
      dropped++;
    }
    return dropped;
  }

  /** The client's channel, made on its first call; its address follows its latest call. */
  channelOf(clientId: string, context: CallContext): GrpcClientChannel {
    let channel = this.clients.get(clientId);
    if (channel === undefined) {
      channel = new GrpcClientChannel(clientId, context.peer, (closed) => this.forget(closed));
      this.clients.set(clientId, channel);
    } else channel.remoteAddr = context.peer;
    channel.lastUpdateTimestamp = Date.now();
    return channel;
  }

  /** Telemetry: the client's commands; each Settings is stored, registered and answered merged. */
  telemetry(clientId: string, call: TelemetryCall): void {
    const channel = this.channelOf(clientId, call.context);
    channel.attachTelemetry(call);
    // A newer stream of the same client keeps its messages; the last one closing gives them back.
    call.onClose(() => {
      if (!channel.isActive) this.deps.onClientGone?.(clientId);
    });
    call.onMessage((command) => {
      if (command.settings !== undefined) {
        try {
          this.onSettings(channel, command.settings, call.context);
        } catch (err) {
          // ClientActivity: a Settings it cannot take ends the stream with INVALID_ARGUMENT.
          const text = err instanceof GrpcStatusError ? `${err.code} ${err.message}` : String(err);
          this.logger.warn(`gRPC client ${clientId}: settings refused: ${text}`);
          call.fail('INVALID_ARGUMENT', text);
        }
      } else if (command.threadStackTrace !== undefined) {
        channel.onThreadStackTrace(command.threadStackTrace.nonce, command.threadStackTrace.threadStackTrace ?? '');
      } else if (command.verifyMessageResult !== undefined) {
        this.logger.debug(`gRPC client ${clientId} answered a verify message request`);
      } else {
        call.fail('INVALID_ARGUMENT', `${Code.BAD_REQUEST} unknown telemetry command`);
      }
    });
  }

  /**
   * The Node SDK 1.0.8 starts a client with several topics by querying every route, opening Telemetry and only
   * then waiting for a Settings reply: one that came in the meantime is lost and startup() hangs for ever. The
   * Settings are written again shortly after each QueryRoute from a client whose Telemetry is open; every SDK
   * takes a repeated Settings as a no-op.
   */
  afterQueryRoute(clientId: string | undefined): void {
    if (clientId === undefined || this.repushTimers.has(clientId)) return;
    const channel = this.clients.get(clientId);
    if (channel?.settings === undefined || !channel.isActive) return;
    const timer = setTimeout(() => {
      this.repushTimers.delete(clientId);
      const settings = channel.settings;
      if (settings !== undefined) channel.push({ status: OK, settings: this.merged(settings) });
    }, SETTINGS_REPUSH_DELAY_MILLIS);
    timer.unref();
    this.repushTimers.set(clientId, timer);
  }

  /** The client's Settings merged with the server's (what ReceiveMessage reads its FIFO flag and max attempts from). */
  settingsOf(clientId: string): MsgInit<'Settings'> | undefined {
    const settings = this.clients.get(clientId)?.settings;
    return settings === undefined ? undefined : this.merged(settings);
  }

  /** Heartbeat: refreshes the client's registration; a client that never sent Settings is unknown. */
  heartbeat(clientId: string, context: CallContext): Status {
    const channel = this.clients.get(clientId);
    const settings = channel?.settings;
    if (channel === undefined || settings === undefined) return status(Code.UNRECOGNIZED_CLIENT_TYPE, 'cannot find client settings for this client');
    channel.remoteAddr = context.peer;
    channel.lastUpdateTimestamp = Date.now();
    this.register(channel, settings, context, false);
    return OK;
  }

  /** NotifyClientTermination: the client leaves its groups and is forgotten. */
  terminate(clientId: string): Status {
    const channel = this.clients.get(clientId);
    if (channel?.settings === undefined) return status(Code.UNRECOGNIZED_CLIENT_TYPE, 'cannot find client settings for this client');
    this.unregister(channel, channel.settings);
    this.forget(channel);
    return OK;
  }

  /** Ends every Telemetry stream and forgets every client (broker shutdown). */
  shutdown(): void {
    for (const timer of this.repushTimers.values()) clearTimeout(timer);
    this.repushTimers.clear();
    for (const channel of [...this.clients.values()]) channel.close();
  }

  /** The Settings to write back to a client: its own, merged with the server's values. */
  merged(settings: Msg<'Settings'>): MsgInit<'Settings'> {
    const group = settings.subscription?.group;
    return mergeSettings(settings, this.deps.settingsConfig(), group === undefined ? undefined : this.deps.groupSettings(resourceName(group)));
  }

  private onSettings(channel: GrpcClientChannel, settings: Msg<'Settings'>, context: CallContext): void {
    validateSettings(settings);
    if (channel.settings !== undefined) this.unregister(channel, channel.settings);
    channel.settings = settings;
    this.register(channel, settings, context, true);
    channel.push({ status: OK, settings: this.merged(settings) });
  }

  private register(channel: GrpcClientChannel, settings: Msg<'Settings'>, context: CallContext, withSubscriptions: boolean): void {
    const info = newClientChannelInfo<ClientChannel>(channel, channel.clientId, languageOf(context), CURRENT_VERSION);
    if (settings.publishing !== undefined) {
      for (const topic of settings.publishing.topics) this.deps.producerManager.registerProducer(resourceName(topic), info);
    }
    const subscription = settings.subscription;
    if (subscription?.group === undefined) return;
    const group = resourceName(subscription.group);
    const consumeType = settings.clientType === ClientType.PUSH_CONSUMER ? 'CONSUME_PASSIVELY' : 'CONSUME_ACTIVELY';
    const { consumerManager } = this.deps;
    if (withSubscriptions) {
      const subList: SubscriptionData[] = subscription.subscriptions.map(subscriptionDataOf);
      consumerManager.registerConsumer(group, info, consumeType, 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', subList, false);
    } else {
      consumerManager.registerConsumerWithoutSub(group, info, consumeType, 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', false);
    }
  }

  private unregister(channel: GrpcClientChannel, settings: Msg<'Settings'>): void {
    for (const topic of settings.publishing?.topics ?? []) this.deps.producerManager.unregisterProducer(resourceName(topic), channel, channel.clientId);
    const group = settings.subscription?.group;
    if (group !== undefined) this.deps.consumerManager.unregisterConsumer(resourceName(group), channel, false);
  }

  private forget(channel: GrpcClientChannel): void {
    if (this.clients.get(channel.clientId) === channel) this.clients.delete(channel.clientId);
    this.deps.onClientGone?.(channel.clientId);
    clearTimeout(this.repushTimers.get(channel.clientId));
    this.repushTimers.delete(channel.clientId);
  }
}

/** ClientActivity.processAndWriteClientSettings' checks: a producer's topics and a consumer's group and topics. */
function validateSettings(settings: Msg<'Settings'>): void {
  for (const topic of settings.publishing?.topics ?? []) {
    const invalid = validateTopic(resourceName(topic));
    if (invalid !== undefined) throw new GrpcStatusError(Code.ILLEGAL_TOPIC, invalid);
  }
  const subscription = settings.subscription;
  if (subscription === undefined) return;
  if (subscription.group === undefined || resourceName(subscription.group).trim() === '') throw new GrpcStatusError(Code.ILLEGAL_CONSUMER_GROUP, 'consumer group cannot be empty');
  for (const entry of subscription.subscriptions) {
    const invalid = validateTopic(resourceName(entry.topic));
    if (invalid !== undefined) throw new GrpcStatusError(Code.ILLEGAL_TOPIC, invalid);
  }
}
