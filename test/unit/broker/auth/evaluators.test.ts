import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthConfig, AuthConfigError, type AuthConfig } from '../../../../src/broker/auth/auth-config.js';
import { AuthenticationError, AuthorizationError } from '../../../../src/broker/auth/auth-errors.js';
import { AuthenticationEvaluator } from '../../../../src/broker/auth/authentication-evaluator.js';
import { AuthenticationMetadataManager } from '../../../../src/broker/auth/authentication-metadata-manager.js';
import { AuthorizationEvaluator, type AuthorizationRequest } from '../../../../src/broker/auth/authorization-evaluator.js';
import { AuthorizationMetadataManager } from '../../../../src/broker/auth/authorization-metadata-manager.js';
import { aclFromInfo } from '../../../../src/broker/auth/acl.js';
import { encodeHeartbeatData } from '../../../../src/protocol/bodies/heartbeat-data.js';
import { AclClientRPCHook } from '../../../../src/remoting/acl-client-rpc-hook.js';
import { RemotingCommand, RequestCode, decodeCommand, encodeCommand } from '../../../../src/index.js';
import { MemoryConfigStore } from '../support.js';
import { silentLogger } from '../../../../src/common/logger.js';

const PROVIDERS = new Map([
  ['authenticationEnabled', 'true'],
  ['authorizationEnabled', 'true'],
  ['authenticationMetadataProvider', 'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider'],
  ['authorizationMetadataProvider', 'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider'],
]);

async function stores(config: AuthConfig = parseAuthConfig(PROVIDERS)) {
  const configStore = new MemoryConfigStore();
  const users = new AuthenticationMetadataManager(configStore, silentLogger);
  const acls = new AuthorizationMetadataManager(configStore, silentLogger, (s) => users.getUser(s.slice(5)) !== undefined);
  await users.createUser({ username: 'root', password: 'root-secret', userType: 'Super' });
  await users.createUser({ username: 'alice', password: 'alice-secret' });
  await users.createUser({ username: 'off', password: 'off-secret', userStatus: 'disable' });
  await acls.putAcl(
    aclFromInfo(
      {
        subject: 'User:alice',
        policies: [{ entries: [{ resource: 'Topic:T', actions: ['Pub', 'Sub'], decision: 'Allow' }, { resource: 'Group:G', actions: ['Sub'], decision: 'Allow' }, { resource: 'Topic:D', actions: ['All'], decision: 'Deny' }] }],
      },
      'User:alice',
    ),
  );
  return { config, configStore, users, acls, authn: new AuthenticationEvaluator(config, users), authz: new AuthorizationEvaluator(config, users, acls) };
}

function signed(code: number, header: Record<string, string>, secret?: { accessKey: string; secretKey: string }, body?: Buffer): RemotingCommand {
  const request = RemotingCommand.createRequestCommand(code, header);
  if (body !== undefined) request.body = body;
  if (secret !== undefined) new AclClientRPCHook(secret).doBeforeRequest('127.0.0.1:1', request);
  return request;
}

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AuthenticationError || err instanceof AuthorizationError) return err.message;
    throw err;
  }
  return 'allowed';
};

const ALICE = { accessKey: 'alice', secretKey: 'alice-secret' };

describe('ACL 2.0 authentication', () => {
  it("accepts a request signed with the user's password and refuses the others with Java's remarks", async () => {
    const { authn } = await stores();
    const body = Buffer.from('payload');
    assert.equal(authn.evaluate(signed(RequestCode.SEND_MESSAGE_V2, { a: 'P', b: 'T' }, ALICE, body)), 'alice');
    assert.equal(refusal(() => authn.evaluate(signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, { accessKey: 'alice', secretKey: 'wrong' }))), 'check signature failed.');
    assert.equal(refusal(() => authn.evaluate(signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, { accessKey: 'nobody', secretKey: 'x' }))), 'User:nobody is not found.');
    assert.equal(refusal(() => authn.evaluate(signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, { accessKey: 'off', secretKey: 'off-secret' }))), 'User:off is disabled.');
    assert.equal(refusal(() => authn.evaluate(signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }))), 'username cannot be null.');
    assert.equal(refusal(() => authn.evaluate(RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT))), 'username cannot be null.');
  });

  it('refuses a signed request whose body or ext field changed after signing, or that lost its signature', async () => {
    const { authn } = await stores();
    const tamperedBody = signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, ALICE, Buffer.from('one'));
    tamperedBody.body = Buffer.from('two');
    assert.equal(refusal(() => authn.evaluate(tamperedBody)), 'check signature failed.');
    const tamperedField = signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, ALICE);
    tamperedField.addExtField('b', 'Other');
    assert.equal(refusal(() => authn.evaluate(tamperedField)), 'check signature failed.');
    const unsigned = signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, ALICE);
    delete (unsigned.extFields as Record<string, string>)['Signature'];
    assert.equal(refusal(() => authn.evaluate(unsigned)), 'check signature failed.');
  });

  it('_UNIQUE_KEY_QUERY is part of the content from V4_9_4 on, and left out for older clients', async () => {
    const { authn } = await stores();
    const modern = signed(RequestCode.QUERY_MESSAGE, { topic: 'T', _UNIQUE_KEY_QUERY: 'true' }, ALICE);
    assert.equal(authn.evaluate(modern), 'alice');
    // A 4.9.3 client added the flag after signing.
    const old = signed(RequestCode.QUERY_MESSAGE, { topic: 'T' }, ALICE);
    old.version = 399;
    old.addExtField('_UNIQUE_KEY_QUERY', 'true');
    assert.equal(authn.evaluate(old), 'alice');
    old.version = 401;
    assert.equal(refusal(() => authn.evaluate(old)), 'check signature failed.');
  });

  it('checks a binary (ROCKETMQ) header from its bytes as it checks the string map', async () => {
    const { authn } = await stores();
    const wire = (request: RemotingCommand): Buffer => {
      request.serializeTypeCurrentRPC = 'ROCKETMQ';
      return encodeCommand(request);
    };
    // Non-ASCII values, and fields in no particular order: the content is the values' UTF-8 in key order.
    const header = { b: 'T', a: 'P', i: 'KEYS\u0001k1\u0002TAGS\u0001é✓', Z: 'z' };
    const bytes = wire(signed(RequestCode.SEND_MESSAGE_V2, header, ALICE, Buffer.from('payload')));
    assert.equal(authn.evaluate(decodeCommand(bytes)), 'alice');
    const wrongSecret = wire(signed(RequestCode.SEND_MESSAGE_V2, header, { accessKey: 'alice', secretKey: 'wrong' }, Buffer.from('payload')));
    assert.equal(refusal(() => authn.evaluate(decodeCommand(wrongSecret))), 'check signature failed.');
    const tampered = Buffer.from(bytes);
    tampered[tampered.indexOf('KEYS')] = 0x6b; // "kEYS": one byte of one value changed after signing
    assert.equal(refusal(() => authn.evaluate(decodeCommand(tampered))), 'check signature failed.');
    const old = signed(RequestCode.QUERY_MESSAGE, { topic: 'T' }, ALICE);
    old.version = 399;
    old.addExtField('_UNIQUE_KEY_QUERY', 'true');
    assert.equal(authn.evaluate(decodeCommand(wire(old))), 'alice');
  });

  it('whitelisted codes skip it; without a metadata provider every request is refused', async () => {
    const { users } = await stores();
    const whitelisted = new AuthenticationEvaluator(parseAuthConfig(new Map([...PROVIDERS, ['authenticationWhitelist', ' 34 ,10']])), users);
    assert.equal(whitelisted.evaluate(RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT)), undefined);
    const noProvider = new AuthenticationEvaluator(parseAuthConfig(new Map([['authenticationEnabled', 'true']])), undefined);
    assert.equal(refusal(() => noProvider.evaluate(signed(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, ALICE))), 'The authenticationMetadataProvider is not configured');
  });
});

describe('ACL 2.0 authorization', () => {
  const view = (code: number, fields: Record<string, string>, body?: Buffer): AuthorizationRequest => ({
    code,
    field: (key) => (Object.hasOwn(fields, key) ? fields[key] : undefined),
    hasExtFields: Object.keys(fields).length > 0,
    body,
    sourceIp: '127.0.0.1',
    clusterName: 'DefaultCluster',
    realTopicOfHalfMessage: (offset) => (offset === 4096 ? 'T' : undefined),
  });
  const as = (user: string, fields: Record<string, string>): Record<string, string> => ({ AccessKey: user, Signature: 'x', ...fields });

  it("allows what the ACL allows and refuses the rest with Java's remarks", async () => {
    const { authz } = await stores();
    const check = (code: number, fields: Record<string, string>, body?: Buffer): string => refusal(() => authz.evaluate(view(code, as('alice', fields), body)));
    assert.equal(check(RequestCode.SEND_MESSAGE_V2, { a: 'P', b: 'T' }), 'allowed');
    assert.equal(check(RequestCode.SEND_MESSAGE_V2, { a: 'P', b: 'X' }), 'User:alice has no permission to access Topic:X from 127.0.0.1, no matched policies.');
    assert.equal(check(RequestCode.SEND_MESSAGE_V2, { a: 'P', b: 'D' }), 'User:alice has no permission to access Topic:D from 127.0.0.1, the decision is deny.');
    assert.equal(check(RequestCode.PULL_MESSAGE, { topic: 'T', consumerGroup: 'G' }), 'allowed');
    assert.equal(check(RequestCode.PULL_MESSAGE, { topic: 'T', consumerGroup: 'H' }), 'User:alice has no permission to access Group:H from 127.0.0.1, no matched policies.');
    // A consumer without Get cannot ask for offsets (Java: GET_MAX_OFFSET needs Get on the topic).
    assert.equal(check(RequestCode.GET_MAX_OFFSET, { topic: 'T', queueId: '0' }), 'User:alice has no permission to access Topic:T from 127.0.0.1, no matched policies.');
    // A send back to the retry topic needs Sub on the group.
    assert.equal(check(RequestCode.SEND_MESSAGE_V2, { a: 'G', b: '%RETRY%G' }), 'allowed');
    assert.equal(check(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'T' }), 'User:alice has no permission to access Topic:T from 127.0.0.1, no matched policies.');
    assert.equal(check(RequestCode.AUTH_CREATE_USER, { username: 'x' }), 'User:alice has no permission to access Cluster:DefaultCluster from 127.0.0.1, no matched policies.');
    assert.equal(check(RequestCode.UPDATE_BROKER_CONFIG, {}), 'User:alice has no permission to access Cluster:DefaultCluster from 127.0.0.1, no matched policies.');
    const heartbeat = encodeHeartbeatData({
      clientID: 'c',
      producerDataSet: [],
      consumerDataSet: [{ groupName: 'G', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', unitMode: false, subscriptionDataSet: [{ topic: 'X', subString: '*', tagsSet: [], codeSet: [], subVersion: 0, expressionType: 'TAG', classFilterMode: false }] }],
      heartbeatFingerprint: 0,
      withoutSub: false,
    });
    assert.equal(check(RequestCode.HEART_BEAT, {}, heartbeat), 'User:alice has no permission to access Topic:X from 127.0.0.1, no matched policies.');
    assert.equal(check(RequestCode.HEART_BEAT, {}, Buffer.from('{not json')), 'parse authorization context error.');
  });

  it("a check-back's END_TRANSACTION is authorized against the half message's real topic, not the half topic", async () => {
    const { authz } = await stores();
    const end = (fields: Record<string, string>): string => refusal(() => authz.evaluate(view(RequestCode.END_TRANSACTION, as('alice', fields))));
    const header = { producerGroup: 'P', commitLogOffset: '4096', topic: 'RMQ_SYS_TRANS_HALF_TOPIC', fromTransactionCheck: 'true' };
    assert.equal(end(header), 'allowed');
    assert.equal(end({ ...header, fromTransactionCheck: 'false' }), 'User:alice has no permission to access Topic:RMQ_SYS_TRANS_HALF_TOPIC from 127.0.0.1, no matched policies.');
    assert.equal(end({ ...header, topic: 'T', fromTransactionCheck: 'false' }), 'allowed');
  });

  it('a Super user may do anything; an unknown user and a request without AccessKey are refused', async () => {
    const { authz } = await stores();
    assert.equal(refusal(() => authz.evaluate(view(RequestCode.UPDATE_AND_CREATE_TOPIC, as('root', { topic: 'Any' })))), 'allowed');
    assert.equal(refusal(() => authz.evaluate(view(RequestCode.SEND_MESSAGE, as('ghost', { topic: 'T' })))), 'User:ghost not found.');
    assert.equal(refusal(() => authz.evaluate(view(RequestCode.SEND_MESSAGE, { topic: 'T' }))), 'Authorization failed. Please verify your access rights and try again.');
    assert.equal(refusal(() => authz.evaluate(view(RequestCode.SEND_MESSAGE, {}))), 'allowed', 'no ext fields ask for nothing (Java)');
  });
});

describe('ACL 2.0 config (broker.conf keys)', () => {
  it("accepts Java's class names and refuses others; credentials are JSON; the metadata providers may be left out", () => {
    const config = parseAuthConfig(new Map([...PROVIDERS, ['initAuthenticationUser', '{"username":"root","password":"pw"}'], ['authorizationWhitelist', '10']]));
    assert.deepEqual(config.initAuthenticationUser, { username: 'root', password: 'pw' });
    assert.ok(config.authorizationWhitelist.has('10'));
    assert.throws(() => parseAuthConfig(new Map([['authenticationProvider', 'com.example.MyProvider']])), AuthConfigError);
    assert.throws(() => parseAuthConfig(new Map([['authenticationEnabled', 'yes']])), /true or false/);
    assert.throws(() => parseAuthConfig(new Map([...PROVIDERS, ['initAuthenticationUser', 'root:pw']])), (err: Error) => err instanceof AuthConfigError && !err.message.includes('pw'));
    assert.throws(() => parseAuthConfig(new Map([['initAuthenticationUser', '{"username":"r","password":"p"}']])), /need authenticationMetadataProvider/);
    assert.equal(parseAuthConfig(new Map([['authenticationEnabled', 'true']])).authenticationMetadataConfigured, false);
    assert.equal(parseAuthConfig(new Map([['migrateAuthFromV1Enabled', 'true']])).migrateAuthFromV1Enabled, true);
    assert.equal(parseAuthConfig(PROVIDERS).migrateAuthFromV1Enabled, false);
  });
});
