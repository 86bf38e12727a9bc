import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAcl, runUser } from '../../../src/cli/auth.js';

/** Usage errors are found before any request: these run without a cluster. */
describe('rocketmq-ts user / acl usage', () => {
  it('answers a bad sub-command, a missing option or a bad value with exit code 2', async () => {
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = () => true;
    try {
      assert.equal(await runUser(['rename', '-b', '127.0.0.1:1']), 2);
      assert.equal(await runUser(['create', '-b', '127.0.0.1:1', '-u', 'bob']), 2, 'create needs -p');
      assert.equal(await runUser(['create', '-b', '127.0.0.1:1', '-u', 'bob', '-p', 'x', '-t', 'Admin']), 2);
      assert.equal(await runAcl(['create', '-b', '127.0.0.1:1', '-s', 'User:bob', '-r', 'Topic:T']), 2, 'create needs -a');
      assert.equal(await runAcl(['create', '-b', '127.0.0.1:1', '-s', 'User:bob', '-r', 'Topic:T', '-a', 'Pub', '-d', 'Maybe']), 2);
      assert.equal(await runAcl(['get', '-b', '127.0.0.1:1']), 2, 'get needs -s');
    } finally {
      process.stderr.write = write;
    }
  });
});
