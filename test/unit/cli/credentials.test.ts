import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsOf, UsageError } from '../../../src/cli/table.js';

describe('CLI credentials', () => {
  it('come from ROCKETMQ_ACCESS_KEY and ROCKETMQ_SECRET_KEY (and the optional token)', () => {
    assert.equal(credentialsOf({}), undefined);
    assert.deepEqual(credentialsOf({ ROCKETMQ_ACCESS_KEY: 'ak', ROCKETMQ_SECRET_KEY: 'sk' }), { accessKey: 'ak', secretKey: 'sk' });
    assert.deepEqual(credentialsOf({ ROCKETMQ_ACCESS_KEY: 'ak', ROCKETMQ_SECRET_KEY: 'sk', ROCKETMQ_SECURITY_TOKEN: 't' }), { accessKey: 'ak', secretKey: 'sk', securityToken: 't' });
  });

  it('refuse an access key without its secret', () => {
    assert.throws(() => credentialsOf({ ROCKETMQ_ACCESS_KEY: 'ak' }), UsageError);
  });
});
