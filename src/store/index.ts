export { DefaultMessageStore, type DefaultMessageStoreOptions } from './default-message-store.js';
export type {
  AppendMessageResult,
  GetMessageResult,
  GetMessageStatus,
  MessageArrivingListener,
  MessageFilter,
  MessageStore,
  PutMessageResult,
  PutMessageStatus,
  QueryMessageResult,
} from './message-store.js';
export {
  StorePathConfigHelper,
  createMessageStoreConfig,
  offset2FileName,
  type FlushDiskType,
  type MessageStoreConfig,
} from './message-store-config.js';
export { StoreCorruptionError } from './commit-log.js';
export { StoreLoadError } from './mapped-file-queue.js';
export { nodeStorageIO, type StorageIO } from './storage-io.js';
export { loadConfigFile, readTextFile, writeFileAtomic } from './config-file.js';
export { DEFAULT_MESSAGE_DELAY_LEVEL, parseDelayLevel } from './delay-level.js';
export type { CqUnit } from './consume-queue.js';
