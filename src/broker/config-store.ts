/**
 * Where the broker's JSON configs (topics.json, consumerOffset.json, subscriptionGroup.json) live. The broker
 * never touches files itself: ConfigFileStore (over src/store/config-file.ts) or a test's in-memory map implements
 * this. `name` is the file name in the config directory. `load` decodes with `decode` and, when the content does
 * not decode, tries the previous version (.bak) before failing; `persist` replaces the content atomically.
 */
export interface ConfigStore {
  load<T>(name: string, decode: (text: string) => T): Promise<T | undefined>;
  persist(name: string, text: string): Promise<void>;
}
