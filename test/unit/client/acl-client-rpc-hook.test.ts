import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { AclClientRPCHook, RemotingCommand, aclSignature } from '../../../src/index.js';

/** The content Java's AclUtils.combineRequestContent builds, spelled out: values in key order, then the body. */
function expected(secret: string, values: string[], body?: Buffer): string {
  const content = Buffer.concat([Buffer.from(values.join(''), 'utf8'), body ?? Buffer.alloc(0)]);
  return createHmac('sha1', secret).update(content).digest('base64');
}

describe('AclClientRPCHook', () => {
  it('signs the values of every ext field in key order, then the body, and adds AccessKey', () => {
    const body = Buffer.from([0, 1, 2, 0xff]);
    const request = RemotingCommand.createRequestCommand(10, { topic: 'T', b: 'x', producerGroup: 'g' }, body);
    new AclClientRPCHook({ accessKey: 'rocketmq2', secretKey: '12345678' }).doBeforeRequest('127.0.0.1:10911', request);
    const ext = request.extFields ?? {};
    assert.equal(ext['AccessKey'], 'rocketmq2');
    assert.equal(ext['SecurityToken'], undefined);
    // Keys in Java's String.compareTo order: upper case before lower case.
    assert.equal(ext['Signature'], expected('12345678', ['rocketmq2', 'x', 'g', 'T'], body));
  });

  it('includes the security token, and leaves the body out when there is none', () => {
    const request = RemotingCommand.createRequestCommand(105, { topic: 'T' });
    new AclClientRPCHook({ accessKey: 'ak', secretKey: 'sk', securityToken: 'tok' }).doBeforeRequest('', request);
    assert.equal(request.extFields?.['SecurityToken'], 'tok');
    assert.equal(request.extFields?.['Signature'], expected('sk', ['ak', 'tok', 'T']));
  });

  it('signs a resent request anew: the old signature is not part of the content', () => {
    const hook = new AclClientRPCHook({ accessKey: 'ak', secretKey: 'sk' });
    const request = RemotingCommand.createRequestCommand(11, { consumerGroup: 'g' });
    hook.doBeforeRequest('', request);
    const first = request.extFields?.['Signature'];
    hook.doBeforeRequest('', request);
    assert.equal(request.extFields?.['Signature'], first);
    assert.equal(first, expected('sk', ['ak', 'g']));
  });

  it('signs non-ASCII values as UTF-8', () => {
    assert.equal(aclSignature({ k: 'é✓' }, undefined, 'секрет'), createHmac('sha1', Buffer.from('секрет', 'utf8')).update(Buffer.from('é✓', 'utf8')).digest('base64'));
  });

  it('refuses empty credentials', () => {
    assert.throws(() => new AclClientRPCHook({ accessKey: '', secretKey: 'x' }), TypeError);
    assert.throws(() => new AclClientRPCHook({ accessKey: 'x', secretKey: '' }), TypeError);
  });
});
