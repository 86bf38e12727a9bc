import { addressBytes } from '../../protocol/message/index.js';

/**
 * MessageClientIDSetter.createUniqID, for a message that reaches the broker without UNIQ_KEY (Java's broker
 * adds one then): address, pid, a per-process random in place of the class loader's hash, ms since the start of
 * the month, and a counter, as upper-case hex. Unique per process as long as the counter does not wrap within 1 ms.
 */
export class MessageClientIDSetter {
  private readonly prefix: Buffer;
  private counter = 0;
  private monthStart = 0;
  private nextMonthStart = 0;

  constructor(ip: string) {
    let ipBytes: Buffer;
    try {
      ipBytes = addressBytes(ip);
    } catch {
      ipBytes = Buffer.from([127, 0, 0, 1]);
    }
    this.prefix = Buffer.alloc(ipBytes.length + 6);
    ipBytes.copy(this.prefix, 0);
    this.prefix.writeInt16BE((process.pid << 16) >> 16, ipBytes.length);
    this.prefix.writeInt32BE((Math.random() * 0x7fffffff) | 0, ipBytes.length + 2);
  }

  createUniqID(now = Date.now()): string {
    if (now >= this.nextMonthStart) {
      const date = new Date(now);
      this.monthStart = new Date(date.getFullYear(), date.getMonth(), 1).getTime();
      this.nextMonthStart = new Date(date.getFullYear(), date.getMonth() + 1, 1).getTime();
    }
    const tail = Buffer.alloc(6);
    tail.writeInt32BE(Math.max(0, now - this.monthStart) | 0, 0);
    tail.writeInt16BE((this.counter++ << 16) >> 16, 4);
    return Buffer.concat([this.prefix, tail]).toString('hex').toUpperCase();
  }
}
