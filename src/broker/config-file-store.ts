import { join } from 'node:path';
import { loadConfigFile, writeFileAtomic } from '../store/config-file.js';
import type { ConfigStore } from './config-store.js';

/** The broker's JSON configs as files under <storePathRootDir>/config, written atomically with a .bak (Java's layout). */
export class ConfigFileStore implements ConfigStore {
  constructor(private readonly configDir: string) {}

  load<T>(name: string, decode: (text: string) => T): Promise<T | undefined> {
    return loadConfigFile(join(this.configDir, name), decode);
  }

  persist(name: string, text: string): Promise<void> {
    return writeFileAtomic(join(this.configDir, name), text);
  }
}
