/**
 * ACL 2.0's users and ACLs survive a crash (issue 16): a broker child process with ACL 2.0 on is killed with SIGKILL
 * while admin requests create users and their ACLs; after a restart every user and ACL whose creation was answered
 * SUCCESS is there (users.json and acls.json are written and fsynced before the answer), and the restarted broker
 * authenticates an acknowledged user with its password.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SessionCredentials } from '../../src/client/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { decodeAclInfoList, decodeUserInfoList } from '../../src/protocol/bodies/auth.js';
import { AclClientRPCHook } from '../../src/remoting/acl-client-rpc-hook.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { acl2BrokerConfig } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const ROOT: SessionCredentials = { accessKey: 'rocketmq', secretKey: '12345678' };
const WORKERS = 4;
/** Each worker stops after this many users, whether or not the kill came (a bound on the loop). */
const MAX_PER_WORKER = 2000;

describe('ACL 2.0 users and ACLs across a SIGKILL', { timeout: 120_000 }, () => {
  it('every user and ACL whose creation was acknowledged is there after a restart', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-auth-kill-'));
    const conf = join(dir, 'broker.conf');
    const properties = { ...acl2BrokerConfig(ROOT), brokerName: 'auth-kill', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: '0', storePathRootDir: join(dir, 'store') };
    await writeFile(conf, `${Object.entries(properties).map(([k, v]) => `${k}=${v.replaceAll('\\', '\\\\')}`).join('\n')}\n`);
    const client = new RemotingClient();
    await client.start();
    const call = (addr: string, code: number, header: Record<string, string>, body?: object, credentials = ROOT): Promise<RemotingCommand> => {
      const request = RemotingCommand.createRequestCommand(code, header, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
      new AclClientRPCHook(credentials).doBeforeRequest(addr, request);
      return client.invokeSync(addr, request, 3000);
    };
    try {
      const first = await startBrokerProcess(conf);
      const users = new Set<string>();
      const acls = new Set<string>();
      let killed = false;
      const worker = async (w: number): Promise<void> => {
        for (let i = 0; i < MAX_PER_WORKER && !killed; i++) {
          const username = `u${w}x${i}`;
          try {
            const user = await call(first.addr, RequestCode.AUTH_CREATE_USER, { username }, { username, password: `pw-${username}`, userType: 'Normal' });
            if (user.code !== ResponseCode.SUCCESS) continue;
            users.add(username);
            const subject = `User:${username}`;
            const policies = [{ policyType: 'Custom', entries: [{ resource: `Topic:T${username}`, actions: ['Pub'], decision: 'Allow' }] }];
            const acl = await call(first.addr, RequestCode.AUTH_CREATE_ACL, { subject }, { subject, policies });
            if (acl.code === ResponseCode.SUCCESS) acls.add(subject);
          } catch {
            return; // the broker died under this request: its outcome is unknown, so it is not counted
          }
        }
      };
      const loops = Array.from({ length: WORKERS }, (_, w) => worker(w));
      await waitFor(() => acls.size >= 100, 60_000, 'a hundred acknowledged ACLs');
      first.child.kill('SIGKILL');
      killed = true;
      await first.exit;
      await Promise.all(loops);

      const second = await startBrokerProcess(conf);
      const listedUsers = new Set(decodeUserInfoList((await call(second.addr, RequestCode.AUTH_LIST_USER, {})).body).map((u) => u.username));
      const listedAcls = new Set(decodeAclInfoList((await call(second.addr, RequestCode.AUTH_LIST_ACL, {})).body).map((a) => a.subject));
      const lostUsers = [...users].filter((u) => !listedUsers.has(u));
      const lostAcls = [...acls].filter((s) => !listedAcls.has(s));
      t.diagnostic(`${users.size} users and ${acls.size} ACLs acknowledged before SIGKILL; ${listedUsers.size - 1} users and ${listedAcls.size} ACLs after restart`);
      assert.deepEqual([lostUsers, lostAcls], [[], []]);
      // The last acknowledged user signs with its password and its ACL lets it publish to its topic (the send gets
      // past authorization: whatever the topic's state, the answer is not NO_PERMISSION); a wrong password does not.
      const last = [...acls].at(-1)?.slice('User:'.length) ?? assert.fail('no ACL acknowledged');
      const send = (secretKey: string): Promise<RemotingCommand> => {
        const header = { a: 'PG', b: `T${last}`, c: 'TBW102', d: '1', e: '0', f: '0', g: String(Date.now()), h: '0', i: '', j: '0', k: 'false', m: 'false' };
        const request = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from('after the crash'));
        new AclClientRPCHook({ accessKey: last, secretKey }).doBeforeRequest(second.addr, request);
        return client.invokeSync(second.addr, request, 3000);
      };
      const allowed = await send(`pw-${last}`);
      assert.notEqual(allowed.code, ResponseCode.NO_PERMISSION, allowed.remark ?? '');
      assert.deepEqual(((r) => [r.code, r.remark])(await send('wrong')), [ResponseCode.NO_PERMISSION, 'check signature failed.']);
      second.child.kill('SIGTERM');
      assert.equal(await second.exit, 0);
    } finally {
      await client.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
