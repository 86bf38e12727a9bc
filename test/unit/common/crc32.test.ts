import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { crc32, tableCrc32 } from '../../../src/common/crc32.js';

describe('crc32', () => {
  it('the portable table version matches java.util.zip.CRC32 on the check value', () => {
    assert.equal(tableCrc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(tableCrc32(Buffer.alloc(0)), 0);
  });

  it('the portable and the native (or chosen) versions agree on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => crc32(bytes) === tableCrc32(bytes)),
      { numRuns: 300 },
    );
  });
});
