import { join } from 'node:path';
import { DEFAULT_MESSAGE_DELAY_LEVEL } from './delay-level.js';

export type FlushDiskType = 'ASYNC_FLUSH' | 'SYNC_FLUSH';

/** BrokerRole.java: a master acknowledges sends at once (ASYNC) or after a slave has them (SYNC); a slave replicates. */
export type BrokerRole = 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';
export const BROKER_ROLES: readonly BrokerRole[] = ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'];

/**
 * Which Java version's SYNC_MASTER a master behaves as (ours; Java has no such key, its version decides):
 * - `4`: a send waits until a slave acked it, SLAVE_NOT_AVAILABLE at once with no slave in reach (4.9.8);
 * - `5`: a send waits for `inSyncReplicas` replicas counting the master, so the default 1 does not wait (5.3.3).
 */
export type SyncMasterProfile = '4' | '5';

/** MessageStoreConfig.java: the settings our store implements, with Java's names and defaults. */
export interface MessageStoreConfig {
  storePathRootDir: string;
  /** Java's default (null) means `<storePathRootDir>/commitlog`. */
  storePathCommitLog: string;
  mappedFileSizeCommitLog: number;
  /** A multiple of the 20-byte entry. */
  mappedFileSizeConsumeQueue: number;
  flushDiskType: FlushDiskType;
  /**
   * ASYNC_FLUSH: the commit log is fsynced every this many ms. Unlike Java there is no 4-page minimum and no 10 s
   * thorough flush: anything written is synced at the next tick, so a power loss loses at most the last
   * interval plus one fsync (<= 1 s with the default 500 ms). A process crash loses nothing (D1).
   */
  flushIntervalCommitLog: number;
  /** Consume queues, index and checkpoint are synced every this many ms. */
  flushIntervalConsumeQueue: number;
  /** SYNC_FLUSH: a put waits this long for its fsync, then answers FLUSH_DISK_TIMEOUT (the message stays). */
  syncFlushTimeout: number;
  /** Hours a commit-log segment is kept. */
  fileReservedTime: number;
  /** Hours of the day (`04`, or `04;16`) when expired segments are deleted. */
  deleteWhen: string;
  /** Above this disk usage (percent) expired segments are deleted whatever the hour. */
  diskMaxUsedSpaceRatio: number;
  /** Above this, the oldest segments go even if not expired. */
  diskSpaceCleanForciblyRatio: number;
  /** Above this, puts answer SERVICE_NOT_AVAILABLE until usage drops. */
  diskSpaceWarningLevelRatio: number;
  cleanResourceInterval: number;
  deleteFileBatchMax: number;
  /** Largest body accepted (MESSAGE_ILLEGAL above). */
  maxMessageSize: number;
  maxTransferBytesOnMessageInMemory: number;
  maxTransferCountOnMessageInMemory: number;
  maxTransferBytesOnMessageInDisk: number;
  maxTransferCountOnMessageInDisk: number;
  /** Records within this share of RAM from the log's end count as "in memory" for the transfer limits. */
  accessMessageInMemoryMaxRatio: number;
  maxFilterMessageSize: number;
  messageIndexEnable: boolean;
  maxHashSlotNum: number;
  maxIndexNum: number;
  /** queryMessage returns at most this many. */
  maxMsgsNumBatch: number;
  checkCRCOnRecover: boolean;
  /**
   * Our own: at most this many commit-log and consume-queue segments keep a descriptor open (least recently used
   * ones are closed and reopened on access). The active commit-log segment, index files and checkpoint come on top.
   */
  maxOpenSegmentFiles: number;
  /**
   * The delay of each level, "1s 5s ... 2h" (units ms, s, m, h, d; `ms` is ours). A message parked in
   * SCHEDULE_TOPIC_XXXX gets its deliver time (store time + its level's delay) as consume-queue tag code.
   */
  messageDelayLevel: string;
  /** Timer messages (TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS); off: such a send is SYSTEM_ERROR, as Java. */
  timerWheelEnable: boolean;
  /** A timer message fires at the end of its precision step: never early, at most this much late. */
  timerPrecisionMs: number;
  /** Further ahead than this is MESSAGE_ILLEGAL. */
  timerMaxDelaySec: number;
  /** Steps the wheel holds ahead of its read cursor; a timer further ahead is filed at the window's end and rolled. */
  timerRollWindowSlot: number;
  /** The timer log and progress are fsynced this often (a process kill loses nothing; a power loss this much). */
  timerFlushIntervalMs: number;

  // --- Master/slave replication (store/ha), Java's MessageStoreConfig names ---
  brokerRole: BrokerRole;
  /** The HA port; 0 (unset): listenPort + 1 as Java, or any free port when listenPort is 0. 5.3.3 honours a set value; 4.9 ignores it. */
  haListenPort: number;
  /** Ours: the address the HA port binds; empty: the broker's bindAddress (Java binds every interface). */
  haBindAddress: string;
  /** Ours: comma-separated hosts allowed to connect to the HA port (it is an unauthenticated write path); empty: any. */
  haSlaveAllowList: string;
  /** A slave's static `host:haPort` of its master; unlike 5.3.3 (which ignores it) it is used, and the name server's answer too. */
  haMasterAddress: string;
  /** Most bytes of commit log per transfer frame (a Java slave reads frames into a 4 MiB buffer). */
  haTransferBatchSize: number;
  /** The master sends an empty frame, and the slave a report, after this long without one (ms). */
  haSendHeartbeatInterval: number;
  /** A link silent for this long is dropped (ms). */
  haHousekeepingInterval: number;
  /** A slave further behind than this is not in sync (4.9's haSlaveFallbehindMax, 5.3.3's haMaxGapNotInSync). */
  haMaxGapNotInSync: number;
  /** SYNC_MASTER: a send waits this long for its replica, then answers FLUSH_SLAVE_TIMEOUT (the message stays). */
  slaveTimeout: number;
  /** 5.x quorum keys: replicas (master included) a SYNC_MASTER send waits for in the `5` profile. */
  inSyncReplicas: number;
  totalReplicas: number;
  minInSyncReplicas: number;
  /** Ours (see SyncMasterProfile); `4` by default: SYNC_MASTER waits for a slave, as its name promises. */
  syncMasterProfile: SyncMasterProfile;
  /** Ours (P6): an empty slave gets the master's whole log, not only its last segment (Java's start). */
  haSyncFromMinOffset: boolean;
  /** Ours (P3): our slave acks only what it has synced to disk, so SYNC_MASTER means "on two disks". */
  haAckAfterFlush: boolean;
}

export function createMessageStoreConfig(config: Partial<MessageStoreConfig> & { storePathRootDir: string }): MessageStoreConfig {
  return {
    storePathCommitLog: join(config.storePathRootDir, 'commitlog'),
    mappedFileSizeCommitLog: 1024 * 1024 * 1024,
    mappedFileSizeConsumeQueue: 300000 * 20,
    flushDiskType: 'ASYNC_FLUSH',
    flushIntervalCommitLog: 500,
    flushIntervalConsumeQueue: 1000,
    syncFlushTimeout: 5000,
    fileReservedTime: 72,
    deleteWhen: '04',
    diskMaxUsedSpaceRatio: 75,
    diskSpaceCleanForciblyRatio: 85,
    diskSpaceWarningLevelRatio: 90,
    cleanResourceInterval: 10000,
    deleteFileBatchMax: 10,
    maxMessageSize: 4 * 1024 * 1024,
    maxTransferBytesOnMessageInMemory: 256 * 1024,
    maxTransferCountOnMessageInMemory: 32,
    maxTransferBytesOnMessageInDisk: 64 * 1024,
    maxTransferCountOnMessageInDisk: 8,
    accessMessageInMemoryMaxRatio: 40,
    maxFilterMessageSize: 16000,
    messageIndexEnable: true,
    maxHashSlotNum: 5000000,
    maxIndexNum: 5000000 * 4,
    maxMsgsNumBatch: 64,
    checkCRCOnRecover: true,
    maxOpenSegmentFiles: 512,
    messageDelayLevel: DEFAULT_MESSAGE_DELAY_LEVEL,
    timerWheelEnable: true,
    timerPrecisionMs: 1000,
    timerMaxDelaySec: 3 * 24 * 3600,
    timerRollWindowSlot: 2 * 24 * 3600,
    timerFlushIntervalMs: 1000,
    brokerRole: 'ASYNC_MASTER',
    haListenPort: 0,
    haBindAddress: '',
    haSlaveAllowList: '',
    haMasterAddress: '',
    haTransferBatchSize: 32 * 1024,
    haSendHeartbeatInterval: 5000,
    haHousekeepingInterval: 20_000,
    haMaxGapNotInSync: 256 * 1024 * 1024,
    slaveTimeout: 3000,
    inSyncReplicas: 1,
    totalReplicas: 1,
    minInSyncReplicas: 1,
    syncMasterProfile: '4',
    haSyncFromMinOffset: false,
    haAckAfterFlush: false,
    ...config,
  };
}

/** StorePathConfigHelper.java: the layout under storePathRootDir (reference §7.1). */
export const StorePathConfigHelper = {
  consumeQueue: (root: string) => join(root, 'consumequeue'),
  index: (root: string) => join(root, 'index'),
  checkpoint: (root: string) => join(root, 'checkpoint'),
  abortFile: (root: string) => join(root, 'abort'),
  /** Where the broker keeps topics.json, consumerOffset.json, subscriptionGroup.json, delayOffset.json. */
  config: (root: string) => join(root, 'config'),
  /** The timer store's log of pending timer messages, and its progress file. */
  timerLog: (root: string) => join(root, 'timerlog'),
  timerCheckpoint: (root: string) => join(root, 'config', 'timercheck'),
};

/** UtilAll.offset2FileName: the 20-digit zero-padded starting offset. */
export function offset2FileName(offset: number): string {
  return String(offset).padStart(20, '0');
}
