import type { Logger } from '../common/logger.js';
import type { DataVersion } from '../protocol/bodies/data-version.js';
import type { ConfigStore } from './config-store.js';

/**
 * ConfigManager.java: a table kept in memory and persisted as one JSON document. Writes run one at a time and
 * coalesce: while one is in flight, any number of persist() calls share a single follow-up write, which encodes
 * the table as it is when that write starts, so the file never goes back in time.
 */
export abstract class ConfigManager<T> {
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  protected constructor(
    private readonly configStore: ConfigStore,
    readonly configName: string,
    protected readonly logger: Logger,
  ) {}

  /** The table as Java writes the file. */
  abstract encode(): string;

  /** Parses the file without touching the table, so a damaged file can give way to its .bak. */
  protected abstract decode(text: string): T;

  /** Takes over what decode() read. */
  protected abstract apply(loaded: T): void;

  /** Reads the file (or its .bak), if there is one. A file that cannot be read fails the load, as in Java. */
  async load(): Promise<void> {
    const loaded = await this.configStore.load(this.configName, (text) => this.decode(text));
    if (loaded === undefined) return;
    this.apply(loaded);
    this.logger.info(`loaded ${this.configName}`);
  }

  /** Resolves once a write that began after this call has completed. */
  persist(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const previous = this.writing ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.configStore.persist(this.configName, this.encode());
      });
    this.queued = next;
    this.writing = next;
    const settle = (): void => {
      if (this.writing === next) this.writing = undefined;
    };
    next.then(settle, settle);
    return next;
  }

  /** persist() for callers that cannot wait: a failure is logged, and the next persist retries with newer data. */
  persistInBackground(): void {
    this.persist().catch((err: unknown) => this.logger.error(`persisting ${this.configName} failed`, err));
  }
}

/** DataVersion.nextVersion(stateVersion): a new timestamp and the next counter. */
export function nextDataVersion(version: DataVersion, stateVersion = 0): DataVersion {
  return { stateVersion, timestamp: Date.now(), counter: version.counter + 1 };
}

/** A fresh DataVersion (Java's field initialisers: now, counter 0). */
export function newDataVersion(): DataVersion {
  return { stateVersion: 0, timestamp: Date.now(), counter: 0 };
}
