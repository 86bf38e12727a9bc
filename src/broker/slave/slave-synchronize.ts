import { MQBrokerError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { ConsumerOffsetSerializeWrapper } from '../../protocol/bodies/consumer-offset-serialize-wrapper.js';
import type { TopicConfigSerializeWrapper } from '../../protocol/bodies/register-broker-body.js';
import type { SubscriptionGroupWrapper } from '../../protocol/bodies/subscription-group-wrapper.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageRequestModeManager } from '../loadbalance/message-request-mode-manager.js';
import type { ConsumerOffsetManager } from '../offset/consumer-offset-manager.js';
import type { ScheduleMessageService } from '../schedule/schedule-message-service.js';
import type { SubscriptionGroupManager } from '../subscription/subscription-group-manager.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';

/**
 * 4.9's cadence (BrokerController.handleSlaveSynchronize: every 10 s, first after 3 s), which we keep whatever the
 * profile: 5.3.3 syncs at most once a minute, so a fresh 5.3.3 slave knows no user topic for about 60 s.
 */
export const SLAVE_SYNC_INITIAL_DELAY_MILLIS = 3000;
export const SLAVE_SYNC_INTERVAL_MILLIS = 10_000;

/** The master's answers a slave reads (BrokerOuterAPI's slave-sync calls). */
export interface SlaveSyncSource {
  getAllTopicConfig(addr: string): Promise<TopicConfigSerializeWrapper>;
  getAllConsumerOffset(addr: string): Promise<ConsumerOffsetSerializeWrapper>;
  getAllDelayOffset(addr: string): Promise<string>;
  getAllSubscriptionGroupConfig(addr: string): Promise<SubscriptionGroupWrapper>;
  getAllMessageRequestMode(addr: string): Promise<string>;
}

export interface SlaveSynchronizeOptions {
  source: SlaveSyncSource;
  topicConfigManager: Pick<TopicConfigManager, 'replaceFromMaster'>;
  consumerOffsetManager: Pick<ConsumerOffsetManager, 'putAllFromMaster'>;
  scheduleMessageService: Pick<ScheduleMessageService, 'loadWhenSyncDelayOffset'>;
  subscriptionGroupManager: Pick<SubscriptionGroupManager, 'replaceFromMaster'>;
  messageRequestModeManager: Pick<MessageRequestModeManager, 'replaceFromMaster'>;
  /** This broker's own address: a registration naming it as the master means there is nothing to copy. */
  brokerAddr: () => string;
  /** Topics changed: the slave registers again, so routes show them with this replica. */
  onTopicsChanged?: () => void;
  logger?: Logger;
}

/**
 * SlaveSynchronize.java: a slave's copy of its master's metadata: topics (21, over the master's fast port),
 * consumer offsets (43), delay offsets (45), subscription groups (201) and, as 5.x, message request modes (402),
 * each written through the config store and taken over at once. The master is the one the last registration
 * named (RegisterBrokerResult.masterAddr); none means no sync. Each part fails alone and is logged, as in Java.
 * Nothing flows back: the master's offsets overwrite the slave's (no reverse sync in classic mode).
 */
export class SlaveSynchronize {
  private master: string | undefined;
  private running: Promise<void> | undefined;
  /** A 4.9 master has no 402: asked once, then left alone. */
  private requestModeUnsupported = false;
  private readonly logger: Logger;

  constructor(private readonly options: SlaveSynchronizeOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  get masterAddr(): string | undefined {
    return this.master;
  }

  /** Returns whether the address changed to a new master (the caller then syncs at once rather than in 10 s). */
  setMasterAddr(addr: string | undefined): boolean {
    const next = addr === undefined || addr === '' ? undefined : addr;
    if (next === this.master) return false;
    this.logger.info(`Update master address from ${String(this.master)} to ${String(next)}`);
    this.master = next;
    return next !== undefined;
  }

  /** One round of every part; a call while one runs shares it. Never rejects. */
  syncAll(): Promise<void> {
    this.running ??= this.doSyncAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async doSyncAll(): Promise<void> {
    const master = this.master;
    if (master === undefined || master === this.options.brokerAddr()) return;
    const { source } = this.options;
    await this.part('topic config', master, async () => {
      if (await this.options.topicConfigManager.replaceFromMaster(await source.getAllTopicConfig(master))) this.options.onTopicsChanged?.();
    });
    await this.part('consumer offset', master, async () => this.options.consumerOffsetManager.putAllFromMaster(await source.getAllConsumerOffset(master)));
    await this.part('delay offset', master, async () => {
      const text = await source.getAllDelayOffset(master);
      if (text !== '') await this.options.scheduleMessageService.loadWhenSyncDelayOffset(text);
    });
    await this.part('subscription group', master, async () => {
      await this.options.subscriptionGroupManager.replaceFromMaster(await source.getAllSubscriptionGroupConfig(master));
    });
    if (!this.requestModeUnsupported) {
      await this.part('message request mode', master, async () => {
        try {
          await this.options.messageRequestModeManager.replaceFromMaster(await source.getAllMessageRequestMode(master));
        } catch (err) {
          if (!(err instanceof MQBrokerError) || err.responseCode !== ResponseCode.REQUEST_CODE_NOT_SUPPORTED) throw err;
          this.requestModeUnsupported = true;
          this.logger.info(`master ${master} has no message request modes (a 4.x broker): not synced`);
        }
      });
    }
  }

  private async part(name: string, master: string, sync: () => Promise<void>): Promise<void> {
    try {
      await sync();
      this.logger.debug(`Update slave ${name} from master, ${master}`);
    } catch (err) {
      this.logger.error(`Sync ${name} from master ${master} failed`, err);
    }
  }
}
