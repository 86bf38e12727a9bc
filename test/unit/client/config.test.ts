import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { buildMQClientId, getLocalAddress, resolveClientConfig } from '../../../src/client/index.js';

function nic(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  return { address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) } as NetworkInterfaceInfo;
}

describe('client config', () => {
  it('builds the client id as ClientConfig.buildMQClientId', () => {
    assert.equal(buildMQClientId({ clientIP: '10.0.0.5', instanceName: 'inst', unitName: undefined }), '10.0.0.5@inst');
    assert.equal(buildMQClientId({ clientIP: '10.0.0.5', instanceName: 'inst', unitName: 'u1' }), '10.0.0.5@inst@u1');
  });

  it('gives each client its own instance name unless one is chosen (pid#nanotime)', () => {
    const a = resolveClientConfig({ nameServer: 'x:1' });
    const b = resolveClientConfig({ nameServer: 'x:1' });
    assert.match(a.instanceName, new RegExp(`^${process.pid}#\\d+$`));
    assert.notEqual(a.instanceName, b.instanceName);
    assert.equal(resolveClientConfig({ nameServer: 'x:1', instanceName: 'mine' }).instanceName, 'mine');
  });

  it('reads name servers from a string with ";", a list, or NAMESRV_ADDR', () => {
    assert.deepEqual(resolveClientConfig({ nameServer: ' a:1; b:2 ;' }).namesrvAddrs, ['a:1', 'b:2']);
    assert.deepEqual(resolveClientConfig({ nameServer: ['a:1', 'b:2;c:3'] }).namesrvAddrs, ['a:1', 'b:2', 'c:3']);
    assert.deepEqual(resolveClientConfig({}, { NAMESRV_ADDR: 'e:9876' }).namesrvAddrs, ['e:9876']);
    assert.deepEqual(resolveClientConfig({}, {}).namesrvAddrs, []);
    assert.throws(() => resolveClientConfig({ mqClientApiTimeout: 0 }), RangeError);
  });

  it('picks the local address as NetworkUtil.getLocalAddress does', () => {
    assert.equal(getLocalAddress({ lo: [nic('127.0.0.1', 'IPv4', true)], eth0: [nic('192.168.1.5', 'IPv4'), nic('8.8.4.4', 'IPv4')] }), '8.8.4.4');
    assert.equal(getLocalAddress({ eth0: [nic('10.0.0.1', 'IPv4')], eth1: [nic('192.168.1.5', 'IPv4')] }), '192.168.1.5');
    assert.equal(getLocalAddress({ eth0: [nic('fe80::1', 'IPv6'), nic('2001:db8::1', 'IPv6')] }), '[2001:db8::1]');
    assert.equal(getLocalAddress({ lo: [nic('127.0.0.1', 'IPv4', true)] }), '127.0.0.1');
  });
});
