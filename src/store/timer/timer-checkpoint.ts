import { dirname } from 'node:path';
import { crc32 } from '../../common/crc32.js';
import { readInt64, writeInt64 } from '../../protocol/message/index.js';
import { readFully, writeFully, type StorageIO } from '../storage-io.js';

const LENGTH = 36;
const CRC_AT = 32;

/**
 * The timer store's progress (`config/timercheck`, our layout): rewritten in place after every step, so a killed
 * process loses none of it (the kernel has it), and fsynced with the timer log.
 *   readCursorMs: the slot being delivered, or the next one;
 *   slotDone: how many deliveries of that slot, in due order (then filing order; markers are none), are done;
 *   enqueueOffset: the next entry of rmq_sys_wheel_timer to file;
 *   intentPhyOffset: while a batch of deliveries is being written, the commit-log end before it (-1 otherwise):
 *     after a crash in that moment, recovery looks there for copies already written, so none is delivered twice.
 */
export class TimerCheckpoint {
  readCursorMs = 0;
  slotDone = 0;
  enqueueOffset = 0;
  intentPhyOffset = -1;
  private fd = -1;
  private readonly buf = Buffer.alloc(LENGTH);

  constructor(
    private readonly io: StorageIO,
    private readonly path: string,
  ) {}

  /** Opens or creates the file; false when there was no intact progress (a new store). */
  load(): boolean {
    this.io.mkdir(dirname(this.path));
    const existed = this.io.exists(this.path);
    this.fd = this.io.open(this.path, existed ? 'r+' : 'wx+');
    if (!existed) return false;
    const buf = readFully(this.io, this.fd, LENGTH, 0);
    if (buf.length < LENGTH || buf.readUInt32BE(CRC_AT) !== crc32(buf.subarray(0, CRC_AT))) return false;
    this.readCursorMs = readInt64(buf, 0);
    this.slotDone = buf.readInt32BE(8);
    this.enqueueOffset = readInt64(buf, 12);
    this.intentPhyOffset = readInt64(buf, 20);
    return true;
  }

  /** Hands the progress to the kernel (one small pwrite). */
  write(): void {
    const buf = this.buf;
    writeInt64(buf, this.readCursorMs, 0);
    buf.writeInt32BE(this.slotDone, 8);
    writeInt64(buf, this.enqueueOffset, 12);
    writeInt64(buf, this.intentPhyOffset, 20);
    buf.writeInt32BE(0, 28);
    buf.writeUInt32BE(crc32(buf.subarray(0, CRC_AT)), CRC_AT);
    writeFully(this.io, this.fd, buf, 0);
  }

  async flush(): Promise<void> {
    if (this.fd >= 0) await this.io.fsync(this.fd);
  }

  shutdown(): void {
    if (this.fd >= 0) this.io.close(this.fd);
    this.fd = -1;
  }
}
