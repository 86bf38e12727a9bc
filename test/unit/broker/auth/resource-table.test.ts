import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../../../src/broker/broker-config.js';
import { BrokerController } from '../../../../src/broker/broker-controller.js';
import { RESOURCE_TABLE } from '../../../../src/broker/auth/resource-table.js';
import { AdminBrokerProcessor } from '../../../../src/broker/processors/admin-broker-processor.js';
import { RemotingCommand, RequestCode, ResponseCode } from '../../../../src/index.js';
import type { RequestContext } from '../../../../src/remoting/request-processor.js';
import { FakeMessageStore, MemoryConfigStore } from '../support.js';

/** Whether the default (admin) processor serves `code`: anything but REQUEST_CODE_NOT_SUPPORTED, a refusal of the bare request included. */
async function adminServes(admin: AdminBrokerProcessor, code: number): Promise<boolean> {
  const ctx = { remoteAddr: '127.0.0.1:1', channel: undefined, writeResponse: () => undefined } as unknown as RequestContext;
  try {
    const response = await admin.processRequest(ctx, RemotingCommand.createRequestCommand(code));
    return response?.code !== ResponseCode.REQUEST_CODE_NOT_SUPPORTED;
  } catch {
    return true;
  }
}

describe('ACL 2.0 per-code resource table', () => {
  it('has an entry for every request code the broker serves, and none for a code it does not serve', async () => {
    const broker = new BrokerController({ ...defaultBrokerConfig('/nonexistent'), listenPort: 0 }, { configStore: new MemoryConfigStore(), messageStore: new FakeMessageStore() });
    const admin = new AdminBrokerProcessor(broker);
    const served = new Set(broker.requestCodes());
    for (const code of Object.values(RequestCode)) if (!served.has(code) && (await adminServes(admin, code))) served.add(code);
    assert.ok(served.has(RequestCode.SEND_MESSAGE) && served.has(RequestCode.GET_MAX_OFFSET) && served.has(RequestCode.AUTH_LIST_ACL), 'the walk finds explicit and admin codes');
    const name = (code: number): string => `${Object.entries(RequestCode).find(([, c]) => c === code)?.[0] ?? '?'}(${code})`;
    assert.deepEqual([...served].filter((code) => !RESOURCE_TABLE.has(code)).map(name), [], 'served codes without a resource rule');
    assert.deepEqual([...RESOURCE_TABLE.keys()].filter((code) => !served.has(code)).map(name), [], 'rules for codes the broker does not serve');
  });
});
