/**
 * Where the broker's JSON configs (topics.json, consumerOffset.json, subscriptionGroup.json) live. The broker
 * never touches files itself: the store module (or a test's in-memory map) implements this. `name` is the file
 * name under the store's config directory; `persist` must replace the content atomically.
 */
export interface ConfigStore {
  load(name: string): Promise<string | undefined>;
  persist(name: string, text: string): Promise<void>;
}
