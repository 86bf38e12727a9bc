import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { advertisedAddressWarning } from '../../../src/broker/advertised-address.js';

const iface = (address: string): NetworkInterfaceInfo =>
  ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: address.startsWith('127.'), cidr: `${address}/24` });
const host = { lo: [iface('127.0.0.1')], eth0: [iface('172.17.0.2')] };

describe('the brokerIP1 pitfall', () => {
  it('is quiet when the advertised address is served here', () => {
    assert.equal(advertisedAddressWarning('127.0.0.1', '127.0.0.1', host), undefined);
    assert.equal(advertisedAddressWarning('172.17.0.2', '0.0.0.0', host), undefined);
    assert.equal(advertisedAddressWarning('127.0.0.1', '0.0.0.0', host), undefined);
    // A host name needs DNS to judge: left alone.
    assert.equal(advertisedAddressWarning('broker.example', '0.0.0.0', host), undefined);
  });

  it('names both addresses and the fix when a loopback-bound broker advertises another address', () => {
    const line = advertisedAddressWarning('172.17.0.2', '127.0.0.1', host);
    assert.ok(line !== undefined);
    assert.match(line, /brokerIP1 172\.17\.0\.2 .*listens on 127\.0\.0\.1 only.*bindAddress=0\.0\.0\.0/);
    assert.ok(!line.includes('\n'), 'one line');
  });

  it('names the advertised address, the host’s addresses and the fix when the address is not this host’s (a container)', () => {
    const line = advertisedAddressWarning('192.168.1.20', '0.0.0.0', host);
    assert.ok(line !== undefined);
    assert.match(line, /brokerIP1 192\.168\.1\.20 .*not an address of this host \(127\.0\.0\.1, 172\.17\.0\.2\).*set brokerIP1/);
    assert.ok(!line.includes('\n'), 'one line');
  });
});
