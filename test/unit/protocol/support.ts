/** Shared helpers of the protocol tests (not a test file itself). */
import assert from 'node:assert/strict';
import { RemotingCommandError } from '../../../src/common/errors.js';
import { FrameDecoder, decodeFrame, type RemotingCommand } from '../../../src/protocol/index.js';
import type { LanguageName, SerializeTypeName } from '../../../src/protocol/index.js';

/** Everything a command carries on the wire, as plain data that deepStrictEqual can compare. */
export interface WireFields {
  code: number;
  language: LanguageName;
  version: number;
  opaque: number;
  flag: number;
  remark: string | undefined;
  /** Entries sorted by key, so neither insertion order nor the map's prototype matter. */
  extFields: [string, string][] | undefined;
  /** Hex of the body, undefined when there is none. */
  body: string | undefined;
  serializeTypeCurrentRPC: SerializeTypeName;
}

export function sortedEntries(map: Readonly<Record<string, string>> | undefined): [string, string][] | undefined {
  if (map === undefined) return undefined;
  return Object.keys(map)
    .sort()
    .map((k) => [k, map[k] as string]);
}

export function wireFields(cmd: RemotingCommand): WireFields {
  return {
    code: cmd.code,
    language: cmd.language,
    version: cmd.version,
    opaque: cmd.opaque,
    flag: cmd.flag,
    remark: cmd.remark,
    extFields: sortedEntries(cmd.extFields),
    body: cmd.body === undefined ? undefined : cmd.body.toString('hex'),
    serializeTypeCurrentRPC: cmd.serializeTypeCurrentRPC,
  };
}

/** assert.throws that accepts RemotingCommandError only (a RangeError or TypeError fails the test). */
export function throwsRemoting(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RemotingCommandError, `expected RemotingCommandError, got ${String(err)}`);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

/** Pushes every chunk through a fresh decoder and returns the frames it produced (without length words). */
export function splitFrames(chunks: readonly Buffer[], maxFrameLength?: number): Buffer[] {
  const decoder = new FrameDecoder(maxFrameLength);
  const frames: Buffer[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(Buffer.from(f)));
  assert.equal(decoder.bufferedBytes, 0, 'bytes left over after the last chunk');
  return frames;
}

/** Cuts `bytes` at the given offsets (any order, duplicates and out-of-range values allowed). */
export function cutAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => Math.max(0, Math.min(bytes.length, o))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** Splits a stream into its frames with the decoder and decodes each one. */
export function decodeStream(chunks: readonly Buffer[]): RemotingCommand[] {
  return splitFrames(chunks).map((f) => decodeFrame(f));
}
