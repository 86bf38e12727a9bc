import { crc32 } from '../common/crc32.js';
import { readInt64, writeInt64 } from '../protocol/message/index.js';
import { readFully, writeFully, type StorageIO } from './storage-io.js';

/** Java's checkpoint is one 4 KiB page. */
const FILE_SIZE = 4096;
const CRC_POSITION = 48;

/**
 * StoreCheckpoint.java, rewritten in place and fsynced. Slots 0-32 are Java's (physicMsgTimestamp,
 * logicsMsgTimestamp, indexMsgTimestamp, masterFlushedOffset, confirmPhyOffset). We add two of our own, which only
 * our store reads: at 40 `dispatchSafeOffset`, the commit-log offset below which every record's consume-queue and
 * index entries were synced (recovery re-dispatches from there: an offset cannot go wrong with a clock change, as
 * Java's timestamps can), and at 48 a CRC32 of bytes 0-47, so a torn checkpoint is ignored rather than trusted.
 */
export class StoreCheckpoint {
  physicMsgTimestamp = 0;
  logicsMsgTimestamp = 0;
  indexMsgTimestamp = 0;
  masterFlushedOffset = 0;
  confirmPhyOffset = 0;
  dispatchSafeOffset = 0;
  private fd = -1;

  constructor(
    private readonly io: StorageIO,
    private readonly path: string,
  ) {}

  /** Opens (or creates) the file; true when it held a checkpoint with a valid CRC. */
  load(): boolean {
    const existed = this.io.exists(this.path);
    this.fd = this.io.open(this.path, existed ? 'r+' : 'wx+');
    if (!existed) {
      this.io.truncate(this.fd, FILE_SIZE);
      return false;
    }
    const buf = readFully(this.io, this.fd, CRC_POSITION + 4, 0);
    if (buf.length < CRC_POSITION + 4 || buf.readUInt32BE(CRC_POSITION) !== crc32(buf.subarray(0, CRC_POSITION))) return false;
    this.physicMsgTimestamp = readInt64(buf, 0);
    this.logicsMsgTimestamp = readInt64(buf, 8);
    this.indexMsgTimestamp = readInt64(buf, 16);
    this.masterFlushedOffset = readInt64(buf, 24);
    this.confirmPhyOffset = readInt64(buf, 32);
    this.dispatchSafeOffset = readInt64(buf, 40);
    return true;
  }

  async flush(): Promise<void> {
    const buf = Buffer.alloc(CRC_POSITION + 4);
    writeInt64(buf, this.physicMsgTimestamp, 0);
    writeInt64(buf, this.logicsMsgTimestamp, 8);
    writeInt64(buf, this.indexMsgTimestamp, 16);
    writeInt64(buf, this.masterFlushedOffset, 24);
    writeInt64(buf, this.confirmPhyOffset, 32);
    writeInt64(buf, this.dispatchSafeOffset, 40);
    buf.writeUInt32BE(crc32(buf.subarray(0, CRC_POSITION)), CRC_POSITION);
    writeFully(this.io, this.fd, buf, 0);
    await this.io.fsync(this.fd);
  }

  shutdown(): void {
    if (this.fd >= 0) this.io.close(this.fd);
    this.fd = -1;
  }
}
