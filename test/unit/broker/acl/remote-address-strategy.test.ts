import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AclException } from '../../../../src/broker/acl/acl-exception.js';
import { expandIP, isValidInet4Address, isValidInet6Address, remoteAddressStrategy } from '../../../../src/broker/acl/remote-address-strategy.js';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const dotted = (a: readonly number[]): string => a.join('.');

describe('RemoteAddressStrategyFactory patterns', () => {
  it('blank matches nothing, * and *.*.*.* everything', () => {
    for (const blank of [undefined, null, '', '  ']) assert.equal(remoteAddressStrategy(blank).match('127.0.0.1'), false);
    for (const all of ['*', '*.*.*.*', '*:*:*:*:*:*:*:*']) assert.equal(remoteAddressStrategy(all).match('10.1.2.3'), true);
  });

  it('an exact address matches itself only (IPv6 in any spelling)', () => {
    fc.assert(
      fc.property(ipv4, ipv4, (a, b) => {
        const s = remoteAddressStrategy(dotted(a));
        return s.match(dotted(a)) && s.match(dotted(b)) === (dotted(a) === dotted(b));
      }),
    );
    const v6 = remoteAddressStrategy('::1');
    assert.equal(v6.match('0:0:0:0:0:0:0:1'), true);
    assert.equal(v6.match('::2'), false);
  });

  it('a.b.c.* / a.b.*.* / a.*.*.* match their prefix', () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 1, max: 3 }), (pattern, addr, wild) => {
        const text = pattern.map((n, i) => (i >= wild ? '*' : String(n))).join('.');
        const expected = addr.slice(0, wild).every((n, i) => n === pattern[i]);
        return remoteAddressStrategy(text).match(dotted(addr)) === expected;
      }),
    );
  });

  it('a range part matches its numbers; the parts after it are not compared (Java)', () => {
    const s = remoteAddressStrategy('192.168.1-10.*');
    assert.equal(s.match('192.168.1.7'), true);
    assert.equal(s.match('192.168.10.255'), true);
    assert.equal(s.match('192.168.11.1'), false);
    assert.equal(s.match('192.169.5.1'), false);
    assert.equal(remoteAddressStrategy('10.10.103.1-100').match('10.10.103.100'), true);
    assert.equal(remoteAddressStrategy('10.10.103.1-100').match('10.10.103.101'), false);
  });

  it('{a,b} and comma lists match exactly the listed addresses', () => {
    const braces = remoteAddressStrategy('192.168.1.{1,2,3}');
    assert.deepEqual(['192.168.1.1', '192.168.1.3', '192.168.1.4'].map((a) => braces.match(a)), [true, true, false]);
    const list = remoteAddressStrategy('127.0.0.1,10.0.0.2,::1');
    assert.deepEqual(['127.0.0.1', '10.0.0.2', '0:0:0:0:0:0:0:1', '10.0.0.3'].map((a) => list.match(a)), [true, true, true, false]);
    const v6 = remoteAddressStrategy('1050::0005:0600:300c:{1,2}');
    assert.equal(v6.match('1050:0:0:0:5:600:300c:1'), true);
    assert.equal(v6.match('1050:0:0:0:5:600:300c:3'), false);
  });

  it('IPv6 ranges: a trailing *, a range group, a range then *', () => {
    assert.equal(remoteAddressStrategy('1:2:3:4:5:6:7:*').match('1:2:3:4:5:6:7:abcd'), true);
    assert.equal(remoteAddressStrategy('1:2:3:4:5:6:7:*').match('1:2:3:4:5:6:8:1'), false);
    const range = remoteAddressStrategy('1:2:3:4:5:6:7:1-ff');
    assert.deepEqual(['1:2:3:4:5:6:7:ff', '1:2:3:4:5:6:7:100'].map((a) => range.match(a)), [true, false]);
    const both = remoteAddressStrategy('1:2:3:4:5:6:1-ff:*');
    assert.deepEqual(['1:2:3:4:5:6:10:9999', '1:2:3:4:5:6:100:0'].map((a) => both.match(a)), [true, false]);
  });

  it('refuses malformed patterns with an AclException naming them', () => {
    for (const bad of ['1.2.3', '300.1.1.1', 'host.example', '10.*', '1.2.{3,4}', '1.2.3.{1,x}', '1.2.5-1.*', '1.2.-5.*', '1:2:*:4', '*.1.2.3']) {
      assert.throws(() => remoteAddressStrategy(bad), AclException, bad);
    }
  });
});

describe('address validators and expandIP (commons-validator, AclUtils)', () => {
  it('IPv4 has four parts 0-255 without leading zeros', () => {
    fc.assert(fc.property(ipv4, (a) => isValidInet4Address(dotted(a))));
    for (const bad of ['01.1.1.1', '1.1.1', '256.1.1.1', '1.1.1.1.1', 'a.b.c.d', '']) assert.equal(isValidInet4Address(bad), false, bad);
  });

  it('IPv6 in full, compressed and IPv4-suffixed forms', () => {
    for (const good of ['::', '::1', '1::', 'fe80::1', '1:2:3:4:5:6:7:8', '::ffff:10.0.0.1']) assert.equal(isValidInet6Address(good), true, good);
    for (const bad of ['1:2:3:4:5:6:7', '1::2::3', ':1:2:3:4:5:6:7', '12345::1', 'g::1', '1:2:3:4:5:6:7:8:9']) assert.equal(isValidInet6Address(bad), false, bad);
  });

  it('expandIP writes 8 upper-case groups of 4 digits', () => {
    assert.equal(expandIP('::1', 8), '0000:0000:0000:0000:0000:0000:0000:0001');
    assert.equal(expandIP('fe80::a:b', 8), 'FE80:0000:0000:0000:0000:0000:000A:000B');
    assert.equal(expandIP('127.0.0.1', 8), '127.0.0.1');
  });
});
