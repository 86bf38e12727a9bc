import type { Logger } from '../../common/logger.js';
import type { RemotingChannel } from '../../remoting/remoting-channel.js';
import type { NamesrvConfig } from '../config.js';
import type { KVConfigManager } from '../kv-config-manager.js';
import type { RouteInfoManager } from '../route-info-manager.js';

/** What the processors need of the name server: its managers and its (runtime-updatable) configuration. */
export interface NamesrvContext {
  readonly routeInfoManager: RouteInfoManager<RemotingChannel>;
  readonly kvConfigManager: KVConfigManager;
  readonly config: Readonly<NamesrvConfig>;
  readonly logger: Logger;
  /** Epoch millis the name server started at (needWaitForService). */
  readonly startupTimeMillis: number;
  /** Applies an UPDATE_NAMESRV_CONFIG; throws NamesrvConfigError for a key outside the allow-list or a bad value. */
  updateConfig(properties: ReadonlyMap<string, string>): void;
}
