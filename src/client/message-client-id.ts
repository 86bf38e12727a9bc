import { randomInt } from 'node:crypto';
import { addressBytes } from '../protocol/message/host-address.js';
import { MessageConst } from '../protocol/message/message-const.js';
import type { Message } from '../protocol/message/message.js';

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).toUpperCase().padStart(2, '0'));

/** The upper-case hex of the low byte of `value`. */
function hexByte(value: number): string {
  return HEX_BYTES[value & 0xff] as string;
}

/**
 * MessageClientIDSetter: the UNIQ_KEY a producer gives each message, upper-case hex of
 *   ip (4 or 16 bytes) | pid (int16) | class-loader hash (int32) | ms since the start of the month (int32) | counter (int16)
 * The first three parts are fixed per process; a random int32 stands in for the class loader's hashCode, which
 * is all Java uses it for (telling apart producers in one JVM).
 */
export class MessageClientIDSetter {
  private readonly fixed: string;
  private counter = 0;
  private startTime = 0;
  private nextStartTime = 0;

  constructor(ip: string, pid: number = process.pid, loaderHash: number = randomInt(-0x80000000, 0x7fffffff)) {
    let ipBytes: Buffer;
    try {
      ipBytes = addressBytes(ip.startsWith('[') ? ip.slice(1, -1) : ip);
    } catch {
      ipBytes = createFakeIP();
    }
    const fixed = Buffer.alloc(ipBytes.length + 6);
    ipBytes.copy(fixed, 0);
    fixed.writeInt16BE((pid << 16) >> 16, ipBytes.length);
    fixed.writeInt32BE(loaderHash | 0, ipBytes.length + 2);
    this.fixed = fixed.toString('hex').toUpperCase();
  }

  createUniqID(now: number = Date.now()): string {
    if (now >= this.nextStartTime) this.setStartTime(now);
    let diff = (now - this.startTime) | 0;
    // A clock stepped back a little (NTP) must not give a negative span.
    if (diff < 0 && diff > -1_000_000) diff = 0;
    const counter = this.counter;
    this.counter = (this.counter + 1) | 0;
    // The int32 span and the int16 counter, big-endian, a byte at a time from a table: this runs for every message
    // sent and, as a trace's request id, for every message a traced consumer takes, where a buffer and its hex
    // conversion per id cost more than the rest of the id's work. The short tail first, so that it is one flat
    // string and the id a single concatenation.
    const tail = hexByte(diff >>> 24) + hexByte(diff >>> 16) + hexByte(diff >>> 8) + hexByte(diff) + hexByte(counter >>> 8) + hexByte(counter);
    return this.fixed + tail;
  }

  /** setUniqID: keeps an id the message already has (a resend must keep its id). */
  setUniqID(msg: Message): void {
    if (msg.getProperty(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) === undefined) {
      msg.putProperty(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, this.createUniqID());
    }
  }

  /** The month boundaries in local time, as Java's Calendar computes them. */
  private setStartTime(now: number): void {
    const date = new Date(now);
    this.startTime = new Date(date.getFullYear(), date.getMonth(), 1).getTime();
    this.nextStartTime = new Date(date.getFullYear(), date.getMonth() + 1, 1).getTime();
  }
}

/** The parts of a UNIQ_KEY, for logs and tools (getIPStrFromID, getPidFromID, getNearlyTimeFromID). */
export function parseUniqID(msgId: string): { ip: Buffer; pid: number; spanMillis: number; counter: number } {
  const bytes = Buffer.from(msgId, 'hex');
  const ipLength = bytes.length === 28 ? 16 : 4;
  return {
    ip: bytes.subarray(0, ipLength),
    pid: bytes.readUInt16BE(ipLength),
    spanMillis: bytes.readInt32BE(ipLength + 6),
    counter: bytes.readUInt16BE(ipLength + 10),
  };
}

/** createFakeIP: bytes 4..7 of the current time in ms, when no address can be had. */
function createFakeIP(): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(BigInt(Date.now()));
  return buf.subarray(4);
}
