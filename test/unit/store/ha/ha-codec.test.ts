import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeReport,
  encodeTransferHeader,
  HAProtocolError,
  joinFrames,
  MAX_TRANSFER_BODY_SIZE,
  ReportDecoder,
  TransferDecoder,
} from '../../../../src/store/ha/ha-codec.js';

describe('HA wire codec', () => {
  it('writes a report as the 8-byte big-endian max offset', () => {
    assert.equal(encodeReport(0x0102030405).toString('hex'), '0000000102030405');
    assert.equal(encodeReport(0).toString('hex'), '0000000000000000');
  });

  it('writes a transfer header as 8-byte offset then 4-byte size (0 for a heartbeat)', () => {
    assert.equal(encodeTransferHeader(3145728, 32768).toString('hex'), '000000000030000000008000');
    assert.equal(encodeTransferHeader(99999999, 0).toString('hex'), '0000000005f5e0ff00000000');
  });

  it('reads reports split anywhere, keeping only the newest complete one (as Java)', () => {
    const decoder = new ReportDecoder();
    const bytes = Buffer.concat([encodeReport(100), encodeReport(200), encodeReport(300)]);
    assert.equal(decoder.push(bytes.subarray(0, 5)), undefined);
    assert.equal(decoder.push(bytes.subarray(5, 19)), 200);
    assert.equal(decoder.push(bytes.subarray(19, 23)), undefined);
    assert.equal(decoder.push(bytes.subarray(23)), 300);
  });

  it('refuses a negative report', () => {
    assert.throws(() => new ReportDecoder().push(Buffer.from('ffffffffffffffff', 'hex')), HAProtocolError);
  });

  it('reads transfers split at every byte position, heartbeats included', () => {
    const body = Buffer.from('raw commit-log bytes cut anywhere');
    const wire = Buffer.concat([encodeTransferHeader(4096, 0), encodeTransferHeader(4096, body.length), body, encodeTransferHeader(4096 + body.length, 0)]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const decoder = new TransferDecoder();
      const frames = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.offset, f.body.toString()]),
        [
          [4096, ''],
          [4096, body.toString()],
          [4096 + body.length, ''],
        ],
        `cut at ${cut}`,
      );
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it('reads a transfer that arrives a byte at a time, whole and once', () => {
    const body = Buffer.from('a body in many reads');
    const wire = Buffer.concat([encodeTransferHeader(8192, body.length), body, encodeTransferHeader(8192 + body.length, 0)]);
    const decoder = new TransferDecoder();
    const frames = [...wire].flatMap((byte) => decoder.push(Buffer.from([byte])));
    assert.deepEqual(
      frames.map((f) => [f.offset, f.body.toString()]),
      [
        [8192, body.toString()],
        [8192 + body.length, ''],
      ],
    );
    assert.equal(decoder.pendingBytes, 0);
  });

  it('refuses a frame larger than a Java slave could read (4 MiB buffer) or a negative size', () => {
    assert.throws(() => new TransferDecoder().push(encodeTransferHeader(0, MAX_TRANSFER_BODY_SIZE + 1)), /exceeds/);
    const negative = encodeTransferHeader(0, 0);
    negative.writeInt32BE(-1, 8);
    assert.throws(() => new TransferDecoder().push(negative), HAProtocolError);
  });
  it('joins frames that continue each other within a segment, never across one, and leaves heartbeats out', () => {
    const frame = (offset: number, text: string) => ({ offset, body: Buffer.from(text) });
    const joined = joinFrames([frame(0, 'abc'), frame(3, 'de'), frame(5, ''), frame(5, 'f'), frame(6, 'gh'), frame(8, 'ij'), frame(20, 'xy')], 8);
    assert.deepEqual(
      joined.map((f) => [f.offset, f.body.toString()]),
      [
        [0, 'abcdefgh'],
        // Starts the next segment of 8 bytes: apart, as it would cross the end of the first.
        [8, 'ij'],
        // Does not continue: left apart for the slave to refuse.
        [20, 'xy'],
      ],
    );
    assert.deepEqual(joinFrames([frame(3, '')], 8), []);
    const single = frame(0, 'same buffer');
    assert.equal(joinFrames([single], 1024)[0], single, 'a lone frame is not copied');
  });
});
