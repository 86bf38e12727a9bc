import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex, toHex } from '../../helpers/hex.js';
import {
  DEFAULT_MAX_FRAME_LENGTH,
  FrameDecoder,
  RemotingCommand,
  decodeCommand,
  decodeFrame,
  encodeCommand,
} from '../../../src/protocol/index.js';
import { splitFrames, throwsRemoting, wireFields } from './support.js';

function request(opaque: number, body?: Buffer, serializeTypeCurrentRPC: 'JSON' | 'ROCKETMQ' = 'JSON'): Buffer {
  return encodeCommand(
    new RemotingCommand({ code: 10, opaque, extFields: { topic: `T${opaque}` }, body, serializeTypeCurrentRPC }),
  );
}

/** A frame of `frameLength` bytes in total (length word included) with a valid JSON header and a filler body. */
function frameOfLength(frameLength: number): Buffer {
  const head = request(1);
  const body = Buffer.alloc(frameLength - head.length, 0xab);
  const frame = request(1, body);
  assert.equal(frame.length, frameLength);
  return frame;
}

void describe('FrameDecoder', () => {
  void it('uses the Java default limit of 16 MiB', () => {
    assert.equal(DEFAULT_MAX_FRAME_LENGTH, 16777216);
    assert.equal(new FrameDecoder().maxFrameLength, 16777216);
  });

  void it('splits several frames arriving in one chunk, in order, without their length words', () => {
    const frames = [request(1), request(2, Buffer.from('body'), 'ROCKETMQ'), request(3)];
    const out = splitFrames([Buffer.concat(frames)]);
    assert.deepEqual(
      out.map((f) => toHex(f)),
      frames.map((f) => toHex(f.subarray(4))),
    );
    assert.deepEqual(
      out.map((f) => decodeFrame(f).opaque),
      [1, 2, 3],
    );
  });

  void it('yields views into the chunk for frames that arrive whole', () => {
    const chunk = Buffer.concat([request(1), request(2)]);
    const decoder = new FrameDecoder();
    const views: Buffer[] = [];
    decoder.push(chunk, (f) => views.push(f));
    assert.equal(views.length, 2);
    for (const v of views) assert.equal(v.buffer, chunk.buffer);
  });

  void it('reassembles a stream split at every possible byte boundary', () => {
    const frames = [request(1), request(2, Buffer.from('xyz'), 'ROCKETMQ'), request(3, Buffer.alloc(40, 1))];
    const stream = Buffer.concat(frames);
    const expected = frames.map((f) => toHex(f.subarray(4)));
    for (let cut = 0; cut <= stream.length; cut++) {
      const out = splitFrames([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(
        out.map((f) => toHex(f)),
        expected,
        `cut at ${cut}`,
      );
    }
  });

  void it('reassembles a stream split at every pair of boundaries', () => {
    const stream = Buffer.concat([request(1, undefined, 'ROCKETMQ'), request(2)]);
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const out = splitFrames([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
        assert.deepEqual(
          out.map((f) => decodeFrame(f).opaque),
          [1, 2],
          `cuts at ${a}, ${b}`,
        );
      }
    }
  });

  void it('accepts empty chunks anywhere', () => {
    const frame = request(5);
    const empty = Buffer.alloc(0);
    const out = splitFrames([empty, frame.subarray(0, 2), empty, frame.subarray(2, 6), empty, frame.subarray(6), empty]);
    assert.equal(out.length, 1);
    assert.equal(decodeFrame(out[0] as Buffer).opaque, 5);
  });

  void it('carries a 4 MiB body in 64 KiB chunks intact, for both header types', () => {
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32BE((i * 2654435761) >>> 0, i);
    for (const type of ['JSON', 'ROCKETMQ'] as const) {
      const stream = Buffer.concat([request(1, body, type), request(2, Buffer.from('tail'), type)]);
      const decoder = new FrameDecoder();
      const frames: Buffer[] = [];
      let maxBuffered = 0;
      for (let pos = 0; pos < stream.length; pos += 64 * 1024) {
        decoder.push(stream.subarray(pos, pos + 64 * 1024), (f) => frames.push(f));
        maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
      }
      assert.equal(frames.length, 2);
      assert.equal(decoder.bufferedBytes, 0);
      assert.ok(maxBuffered < stream.length, 'held more than one frame');
      const big = decodeFrame(frames[0] as Buffer);
      assert.equal(big.opaque, 1);
      assert.equal(big.serializeTypeCurrentRPC, type);
      assert.equal(big.body?.length, body.length);
      assert.ok(big.body?.equals(body), 'body corrupted');
      assert.equal(decodeFrame(frames[1] as Buffer).body?.toString(), 'tail');
    }
  });

  void it('reports the bytes held for an incomplete frame', () => {
    const frame = request(1, Buffer.alloc(100));
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    decoder.push(frame.subarray(0, 3), (f) => frames.push(f));
    assert.equal(decoder.bufferedBytes, 3);
    decoder.push(frame.subarray(3, 50), (f) => frames.push(f));
    assert.equal(decoder.bufferedBytes, 50);
    decoder.push(Buffer.concat([frame.subarray(50), frame.subarray(0, 7)]), (f) => frames.push(f));
    assert.equal(frames.length, 1);
    assert.equal(decoder.bufferedBytes, 7);
  });

  void it('does not keep a large chunk alive for a small leftover', () => {
    const chunk = Buffer.concat([request(1, Buffer.alloc(10000)), request(2).subarray(0, 10)]);
    const decoder = new FrameDecoder();
    decoder.push(chunk, () => undefined);
    assert.equal(decoder.bufferedBytes, 10);
    // Mutating the chunk afterwards must not change what the decoder kept.
    const second = request(2);
    chunk.fill(0xff);
    const frames: Buffer[] = [];
    decoder.push(second.subarray(10), (f) => frames.push(f));
    assert.equal(frames.length, 1);
    assert.equal(decodeFrame(frames[0] as Buffer).opaque, 2);
  });

  void describe('limits and corrupt length words', () => {
    void it('accepts a frame exactly at maxFrameLength (length word included)', () => {
      const frame = frameOfLength(1000);
      assert.equal(splitFrames([frame], 1000).length, 1);
    });

    void it('refuses a frame one byte over the limit as soon as its length word is complete', () => {
      const frame = frameOfLength(1001);
      const decoder = new FrameDecoder(1000);
      decoder.push(frame.subarray(0, 2), () => assert.fail('no frame expected'));
      throwsRemoting(
        () => decoder.push(frame.subarray(2, 4), () => assert.fail('no frame expected')),
        /1001 exceeds the limit of 1000/,
      );
      assert.equal(decoder.bufferedBytes, 0, 'buffered data was not released');
    });

    void it('refuses an over-long frame within a chunk, after delivering the frames before it', () => {
      const decoder = new FrameDecoder(1000);
      const frames: Buffer[] = [];
      throwsRemoting(() => decoder.push(Buffer.concat([request(1), frameOfLength(1001)]), (f) => frames.push(f)));
      assert.equal(frames.length, 1);
      assert.equal(decoder.bufferedBytes, 0);
    });

    void it('refuses a length word claiming more than the 16 MiB default without waiting for the data', () => {
      const decoder = new FrameDecoder();
      throwsRemoting(() => decoder.push(hex('01 00 00 00'), () => undefined), /exceeds the limit/);
      // 0x00fffffc + 4 = 16 MiB exactly: accepted, waits for the rest.
      const ok = new FrameDecoder();
      ok.push(hex('00 ff ff fc  00 00'), () => assert.fail('no frame expected'));
      assert.equal(ok.bufferedBytes, 6);
    });

    for (const word of ['ff ff ff ff', '80 00 00 00', 'ff ff ff 00', '00 00 00 00', '00 00 00 01', '00 00 00 03']) {
      void it(`refuses the length word ${word} (negative or too small for the header-length word)`, () => {
        throwsRemoting(() => new FrameDecoder().push(hex(`${word} 00 00 00 00 00 00 00 00`), () => undefined), /bad frame length/);
        // Same when the word arrives byte by byte.
        const decoder = new FrameDecoder();
        const bytes = hex(word);
        for (let i = 0; i < 3; i++) decoder.push(bytes.subarray(i, i + 1), () => undefined);
        throwsRemoting(() => decoder.push(bytes.subarray(3), () => undefined), /bad frame length/);
      });
    }

    void it('refuses all further input after failing', () => {
      const decoder = new FrameDecoder();
      throwsRemoting(() => decoder.push(hex('ff ff ff ff'), () => undefined));
      throwsRemoting(() => decoder.push(request(1), () => assert.fail('no frame after a failure')), /already failed/);
      throwsRemoting(() => decoder.push(Buffer.alloc(0), () => undefined), /already failed/);
      assert.equal(decoder.bufferedBytes, 0);
    });
  });
});

void describe('decodeFrame / decodeCommand on corrupt frames', () => {
  void it('refuses a frame shorter than the header-length word', () => {
    for (const n of [0, 1, 3]) throwsRemoting(() => decodeFrame(Buffer.alloc(n)), /too short/);
    throwsRemoting(() => decodeCommand(hex('00 00 00')), /too short/);
  });

  void it('refuses a header length beyond the frame ("decode error, bad header length")', () => {
    throwsRemoting(() => decodeFrame(hex('00 00 00 05  7b 7d 20 20')), /bad header length: 5 > 4/);
    throwsRemoting(() => decodeFrame(hex('01 ff ff ff  00')), /bad header length/);
    // The length is checked before the type byte is looked at.
    throwsRemoting(() => decodeFrame(hex('07 00 00 09')), /bad header length/);
  });

  void it('refuses every serialize type byte other than 0 and 1', () => {
    const frame = request(1).subarray(4);
    for (let type = 2; type <= 255; type++) {
      const copy = Buffer.from(frame);
      copy[0] = type;
      throwsRemoting(() => decodeFrame(copy), new RegExp(`unknown serialize type ${type}$`));
    }
  });

  void it('refuses an empty header (length 0) of either type', () => {
    throwsRemoting(() => decodeFrame(hex('00 00 00 00')), /malformed JSON/);
    throwsRemoting(() => decodeFrame(hex('01 00 00 00')), /ROCKETMQ header too short: 0/);
  });

  void it('decodeCommand refuses a length word that does not match the bytes given', () => {
    const frame = request(1);
    throwsRemoting(() => decodeCommand(Buffer.concat([frame, hex('00')])), /does not match/);
    throwsRemoting(() => decodeCommand(frame.subarray(0, frame.length - 1)), /does not match/);
    assert.equal(decodeCommand(frame).opaque, 1);
  });

  void it('the header is decoded from the header bytes only; what follows is the body', () => {
    const cmd = new RemotingCommand({ code: 10, opaque: 4, body: Buffer.from('{"code":99}') });
    const decoded = decodeCommand(encodeCommand(cmd));
    assert.deepEqual(wireFields(decoded), wireFields(cmd));
  });
});
