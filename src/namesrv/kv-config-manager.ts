import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import { decodeKVConfigTable, encodeKVConfigTable } from '../protocol/bodies/kv-table.js';
import { loadConfigFile, writeFileAtomic } from '../store/config-file.js';

/** NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG: topic -> "brokerName:queueNums;..." for ordered topics. */
export const NAMESPACE_ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

/**
 * KVConfigManager.java: namespace -> key -> value, persisted as kvConfig.json in Java's format after every change.
 * Reads are synchronous; a change resolves once it is on disk. Writes run one at a time, each with the latest
 * table, so concurrent changes cannot reorder on disk.
 */
export class KVConfigManager {
  private readonly configTable = new Map<string, Map<string, string>>();
  private persisting: Promise<void> = Promise.resolve();

  constructor(
    private readonly kvConfigPath: string,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** Loads kvConfig.json, or its .bak when the file is missing or damaged. A damaged file without a good .bak fails. */
  async load(): Promise<void> {
    let table: Map<string, Map<string, string>> | undefined;
    try {
      table = await loadConfigFile(this.kvConfigPath, decodeKVConfigTable, (err) =>
        this.logger.warn(`${this.kvConfigPath} is damaged (${err.message}), trying the backup`),
      );
    } catch (err) {
      throw new Error(`cannot load the KV config ${this.kvConfigPath}: ${(err as Error).message}`, { cause: err });
    }
    this.configTable.clear();
    for (const [namespace, kv] of table ?? []) this.configTable.set(namespace, kv);
    this.logger.info(`loaded ${this.configTable.size} KV config namespaces from ${this.kvConfigPath}`);
  }

  async putKVConfig(namespace: string, key: string, value: string): Promise<void> {
    let table = this.configTable.get(namespace);
    if (table === undefined) this.configTable.set(namespace, (table = new Map<string, string>()));
    table.set(key, value);
    await this.persist();
  }

  async deleteKVConfig(namespace: string, key: string): Promise<void> {
    const table = this.configTable.get(namespace);
    if (table === undefined || !table.delete(key)) return;
    await this.persist();
  }

  getKVConfig(namespace: string, key: string): string | undefined {
    return this.configTable.get(namespace)?.get(key);
  }

  /** The namespace's table, or undefined when the namespace was never created (Java: null body). */
  getKVListByNamespace(namespace: string): ReadonlyMap<string, string> | undefined {
    return this.configTable.get(namespace);
  }

  /** Resolves when every change made so far is on disk. */
  flush(): Promise<void> {
    return this.persisting;
  }

  private persist(): Promise<void> {
    const run = this.persisting.then(() => writeFileAtomic(this.kvConfigPath, encodeKVConfigTable(this.configTable)));
    // A failed write must not wedge the ones after it; the caller of this one still sees the error.
    this.persisting = run.catch((err: unknown) => this.logger.error(`persisting ${this.kvConfigPath} failed`, err));
    return run;
  }
}
