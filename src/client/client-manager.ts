import { MQClientInstance } from './client-instance.js';
import { buildMQClientId, type ClientConfig } from './config.js';

/**
 * MQClientManager.java: the MQClientInstance of each client id. Clients share an instance when their ids match
 * (same IP, instanceName and unitName); the first one's configuration is the instance's. The process-wide
 * registry is `MQClientManager.getInstance()`; a client may be given its own manager (tests, isolation).
 */
export class MQClientManager {
  private static readonly processWide = new MQClientManager();
  private readonly factoryTable = new Map<string, MQClientInstance>();

  static getInstance(): MQClientManager {
    return MQClientManager.processWide;
  }

  getOrCreateMQClientInstance(config: ClientConfig): MQClientInstance {
    const clientId = buildMQClientId(config);
    let instance = this.factoryTable.get(clientId);
    if (instance === undefined) {
      instance = new MQClientInstance(clientId, config, (stopped) => this.removeClientFactory(stopped));
      this.factoryTable.set(clientId, instance);
    } else if (config.namesrvAddrs.join(';') !== instance.config.namesrvAddrs.join(';')) {
      config.logger.warn(`client ${clientId} already exists with name servers ${instance.config.namesrvAddrs.join(';')}; using those`);
    }
    if (instance.config.credentials?.accessKey !== config.credentials?.accessKey) {
      config.logger.warn(`client ${clientId} already exists with access key ${instance.config.credentials?.accessKey ?? '(none)'}; its requests are signed with that one`);
    }
    return instance;
  }

  /** The instances alive, by client id. */
  get size(): number {
    return this.factoryTable.size;
  }

  private removeClientFactory(instance: MQClientInstance): void {
    if (this.factoryTable.get(instance.clientId) === instance) this.factoryTable.delete(instance.clientId);
  }
}
