/**
 * Golden frames captured from the real Java RocketMQ (interop GoldenFrames: RocketMQ's own NettyEncoder, decoded back
 * by RemotingCommand.decode). Every fixture in test/fixtures/wire is decoded with our codec and compared with what
 * Java decoded, then re-encoded and compared with Java's bytes.
 *
 * The one permitted difference: Java writes a JSON header's extFields in HashMap iteration order, we write them
 * sorted (canonical). The comparison sorts Java's extFields members textually, without re-escaping them, so every
 * other byte (escapes, number forms, key order of the header itself) must still match exactly. The ROCKETMQ header
 * keeps the decoded order, so it must match byte for byte as captured.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeCommand, encodeCommand, type RemotingCommand } from '../../../src/index.js';
import { toHex } from '../../helpers/hex.js';

/** Compiled to dist-test/test/unit/protocol/, so the source tree's fixtures are four levels up. */
const WIRE_DIR = fileURLToPath(new URL('../../../../test/fixtures/wire/', import.meta.url));

interface GoldenFrame {
  name: string;
  rocketmqVersion: string;
  serializeType: 'JSON' | 'ROCKETMQ';
  hex: string;
  decoded: {
    code: number;
    language: string;
    version: number;
    opaque: number;
    flag: number;
    remark: string | null;
    extFields: Record<string, string> | null;
    bodyHex: string;
  };
}

const files = readdirSync(WIRE_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort();

/** Reads a JSON string token starting at `start` (a quote); returns its decoded value and the index after it. */
function readJsonString(text: string, start: number): { value: string; end: number } {
  assert.equal(text[start], '"', `expected a string at ${start} in ${text}`);
  let i = start + 1;
  while (text[i] !== '"') {
    if (i >= text.length) throw new Error(`unterminated string at ${start} in ${text}`);
    i += text[i] === '\\' ? 2 : 1;
  }
  return { value: JSON.parse(text.slice(start, i + 1)) as string, end: i + 1 };
}

/**
 * The JSON header text with the members of its extFields object sorted by key, each member kept verbatim (so the
 * escaping is still Java's). A header without extFields is returned unchanged.
 */
function sortExtFieldsMembers(header: string): string {
  const marker = '"extFields":{';
  const at = header.indexOf(marker);
  if (at < 0) return header;
  const members: { key: string; raw: string }[] = [];
  let i = at + marker.length;
  while (header[i] !== '}') {
    const key = readJsonString(header, i);
    assert.equal(header[key.end], ':', `expected ':' after an extFields key in ${header}`);
    const value = readJsonString(header, key.end + 1);
    members.push({ key: key.value, raw: header.slice(i, value.end) });
    i = value.end;
    if (header[i] === ',') i++;
  }
  members.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return header.slice(0, at + marker.length) + members.map((m) => m.raw).join(',') + header.slice(i);
}

/** Splits a whole frame into its length word, type/header-length word, header and body. */
function splitFrame(frame: Buffer): { length: number; typeByte: number; header: Buffer; body: Buffer } {
  const length = frame.readInt32BE(0);
  const word = frame.readUInt32BE(4);
  const headerLength = word & 0xffffff;
  return {
    length,
    typeByte: word >>> 24,
    header: frame.subarray(8, 8 + headerLength),
    body: frame.subarray(8 + headerLength),
  };
}

function decodedFields(cmd: RemotingCommand): GoldenFrame['decoded'] {
  return {
    code: cmd.code,
    language: cmd.language,
    version: cmd.version,
    opaque: cmd.opaque,
    flag: cmd.flag,
    remark: cmd.remark ?? null,
    extFields: cmd.extFields === undefined ? null : { ...cmd.extFields },
    bodyHex: cmd.body === undefined ? '' : cmd.body.toString('hex'),
  };
}

describe('golden wire frames captured from Java', () => {
  it('has the fixtures of both versions and both serializations', () => {
    assert.ok(files.length >= 24, `expected at least 24 fixtures in ${WIRE_DIR}, found ${files.length}`);
    for (const version of ['5.3.3', '4.9.8']) {
      for (const type of ['json', 'rocketmq']) {
        assert.ok(
          files.some((f) => f.startsWith(`java-${version}-`) && f.endsWith(`-${type}.json`)),
          `no ${type} fixture of ${version}`,
        );
      }
    }
  });

  for (const file of files) {
    const fixture = JSON.parse(readFileSync(WIRE_DIR + file, 'utf8')) as GoldenFrame;
    const bytes = Buffer.from(fixture.hex, 'hex');

    describe(file, () => {
      it('decodes to the fields Java decoded', () => {
        const cmd = decodeCommand(bytes);
        assert.equal(cmd.serializeTypeCurrentRPC, fixture.serializeType);
        // extFields compare as maps: deepStrictEqual ignores key order.
        assert.deepStrictEqual(decodedFields(cmd), fixture.decoded);
      });

      it('re-encodes to the bytes Java wrote', () => {
        const cmd = decodeCommand(bytes);
        const ours = encodeCommand(cmd);
        if (fixture.serializeType === 'ROCKETMQ') {
          assert.equal(toHex(ours), toHex(bytes));
          return;
        }
        const theirs = splitFrame(bytes);
        const mine = splitFrame(ours);
        assert.equal(mine.length, theirs.length, 'total length');
        assert.equal(mine.typeByte, theirs.typeByte, 'serialize type byte');
        assert.equal(mine.header.length, theirs.header.length, 'header length');
        // Java's extFields order is HashMap order; ours is sorted. Everything else is byte for byte.
        assert.equal(mine.header.toString('utf8'), sortExtFieldsMembers(theirs.header.toString('utf8')));
        assert.equal(toHex(mine.body), toHex(theirs.body), 'body');
        // And the JSON means the same thing, extFields included.
        assert.deepStrictEqual(JSON.parse(mine.header.toString('utf8')), JSON.parse(theirs.header.toString('utf8')));
      });

      if (fixture.serializeType === 'JSON' && fixture.decoded.extFields !== null) {
        it('normalizing Java extFields order only permutes members', () => {
          const theirs = splitFrame(bytes).header.toString('utf8');
          const sorted = sortExtFieldsMembers(theirs);
          // A sanity check of the normalization itself: it only permutes members.
          assert.equal(sorted.length, theirs.length);
          assert.deepStrictEqual(JSON.parse(sorted), JSON.parse(theirs));
        });
      }
    });
  }
});
