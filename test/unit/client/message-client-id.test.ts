import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageClientIDSetter, parseUniqID } from '../../../src/client/index.js';
import { Message } from '../../../src/index.js';

describe('MessageClientIDSetter', () => {
  it("lays an IPv4 id out as Java's createUniqID: ip, pid, loader hash, ms since the month began, counter", () => {
    const setter = new MessageClientIDSetter('10.1.2.3', 0x12345, -2);
    const now = new Date(2025, 4, 17, 12, 30, 45, 678).getTime();
    const monthStart = new Date(2025, 4, 1).getTime();
    const first = setter.createUniqID(now);
    const second = setter.createUniqID(now);
    assert.match(first, /^[0-9A-F]{32}$/);
    // 0A010203 | pid & 0xffff = 2345 | FFFFFFFE | span | 0000, then 0001.
    assert.equal(first.slice(0, 20), '0A0102032345FFFFFFFE');
    assert.equal(first.slice(20, 28), (now - monthStart).toString(16).toUpperCase().padStart(8, '0'));
    assert.equal(first.slice(28), '0000');
    assert.equal(second.slice(28), '0001');
    assert.deepEqual(parseUniqID(first), { ip: Buffer.from([10, 1, 2, 3]), pid: 0x2345, spanMillis: now - monthStart, counter: 0 });
  });

  it('restarts the span at each month and wraps the counter at 16 bits', () => {
    const setter = new MessageClientIDSetter('10.1.2.3', 1, 1);
    const lastMs = new Date(2025, 5, 1).getTime() - 1;
    // Java casts the span to int, which wraps after 24.8 days; the id keeps those bits, as Java's does.
    assert.equal(parseUniqID(setter.createUniqID(lastMs)).spanMillis, (lastMs - new Date(2025, 4, 1).getTime()) | 0);
    assert.equal(parseUniqID(setter.createUniqID(lastMs + 1)).spanMillis, 0);
    for (let i = 2; i < 65536; i++) setter.createUniqID(lastMs + 1);
    assert.equal(parseUniqID(setter.createUniqID(lastMs + 1)).counter, 0);
  });

  it('makes 28-byte ids for IPv6, and keeps an id a message already has', () => {
    const setter = new MessageClientIDSetter('[fe80::1]', 7, 7);
    const id = setter.createUniqID();
    assert.match(id, /^FE800000000000000000000000000001[0-9A-F]{24}$/);
    assert.equal(parseUniqID(id).ip.length, 16);
    const msg = new Message('T', Buffer.from('x'));
    setter.setUniqID(msg);
    const assigned = msg.uniqKey;
    setter.setUniqID(msg);
    assert.equal(msg.uniqKey, assigned);
  });
});
