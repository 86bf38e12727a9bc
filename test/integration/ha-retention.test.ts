/**
 * P8 from the slave's side, with our master and slave in this process: a slave whose log ends below what its master
 * still keeps (retention deleted the segments between) gets heartbeats only, forever. It finds out by asking the
 * master's commitLogMinOffset (GET_BROKER_RUNTIME_INFO) once its link brings no data, says so once in its log,
 * and shows it in GET_BROKER_HA_STATUS (907). Real retention: fileReservedTime 0 and a manual clean-up pass.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { silentLogger } from '../../src/common/logger.js';
import { decodeHARuntimeInfo } from '../../src/protocol/bodies/ha-runtime-info.js';
import { messageProperties2String, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { pollFor } from '../helpers/wait.js';

const SEGMENT = 1024 * 1024;
/** Short heartbeats: the slave asks after three intervals without data. */
const store = { mappedFileSizeCommitLog: SEGMENT, haSendHeartbeatInterval: 300 };

describe('HA: a slave below its master retention says so (P8, slave side)', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let master: BrokerController;
  let slave: BrokerController | undefined;
  const client = new RemotingClient();
  const slaveErrors: string[] = [];
  const startSlave = (): Promise<BrokerController> =>
    startTestBroker(join(dir, 'slave'), namesrvAddr, {
      broker: { brokerId: 1 },
      store: { ...store, brokerRole: 'SLAVE' },
      logger: { ...silentLogger, error: (message: string) => void slaveErrors.push(message) },
    });

  /** The broker's store as its startup builds it: retention and offsets are read on it directly. */
  const storeOf = (broker: BrokerController): DefaultMessageStore => {
    assert.ok(broker.messageStore instanceof DefaultMessageStore);
    return broker.messageStore;
  };

  async function fill(bytes: number): Promise<void> {
    const properties = messageProperties2String(new Map([['WAIT', 'true']]));
    for (let sent = 0; sent < bytes; sent += 100 * 1024) {
      const header = { a: 'PG', b: 'RetentionTopic', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
      const response = await client.invokeSync(master.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.alloc(100 * 1024, 7)), 10_000);
      assert.equal(response.code, ResponseCode.SUCCESS);
    }
  }

  const haStatus = async (addr: string) =>
    decodeHARuntimeInfo((await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_HA_STATUS, {}), 3000)).body);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-retention-'));
    await client.start();
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    master = await startTestBroker(join(dir, 'master'), namesrvAddr, { store: { ...store, brokerRole: 'ASYNC_MASTER', fileReservedTime: 0 } });
  });
  after(async () => {
    await slave?.shutdown();
    await master.shutdown();
    await namesrv.shutdown();
    await client.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('a caught-up slave on an idle master is not diagnosed', async () => {
    await fill(SEGMENT / 2);
    slave = await startSlave();
    const max = storeOf(master).getMaxPhyOffset();
    await pollFor(() => Promise.resolve(storeOf(slave!).getMaxPhyOffset()), (m) => m === max, { timeoutMillis: 10_000, intervalMillis: 50, what: 'slave caught up' });
    // Heartbeats for several times the three intervals after which a link without data makes the slave ask.
    const since = (await haStatus(slave.brokerAddr)).haClientRuntimeInfo.lastReadTimestamp;
    const info = await pollFor(() => haStatus(slave!.brokerAddr), (i) => i.haClientRuntimeInfo.lastReadTimestamp >= since + 2000, { timeoutMillis: 5000, intervalMillis: 100, what: 'heartbeats on an idle link' });
    assert.equal(info.haClientRuntimeInfo.state, 'TRANSFER');
    assert.equal(info.haClientRuntimeInfo.behindRetention, undefined);
    assert.deepEqual(slaveErrors.filter((m) => m.startsWith('HAClient')), []);
  });

  it('a slave restarted after its master deleted the segments past its end is diagnosed once, in its log and in 907', async () => {
    await slave!.shutdown();
    slave = undefined;
    const slaveEnd = storeOf(master).getMaxPhyOffset();
    await fill(3 * SEGMENT);
    await pollFor(() => Promise.resolve(storeOf(master).cleanCommitLogService.run(true)), (deleted) => deleted > 0, { timeoutMillis: 5000, intervalMillis: 100, what: 'master retention' });
    const masterMin = storeOf(master).getMinPhyOffset();
    assert.ok(masterMin > slaveEnd, `master min ${masterMin} above the slave end ${slaveEnd}`);
    slave = await startSlave();
    const info = await pollFor(() => haStatus(slave!.brokerAddr), (i) => i.haClientRuntimeInfo.behindRetention === true, { timeoutMillis: 15_000, intervalMillis: 100, what: 'the slave diagnosis' });
    assert.equal(info.haClientRuntimeInfo.masterMinOffset, masterMin);
    assert.equal(info.haClientRuntimeInfo.maxOffset, slaveEnd);
    // The master sees the same link from its side.
    assert.equal((await haStatus(master.brokerAddr)).haConnectionInfo[0]?.behindRetention, true);
    // Said once, however many heartbeats follow (and whatever the master writes meanwhile).
    await fill(SEGMENT / 4);
    const since = info.haClientRuntimeInfo.lastReadTimestamp;
    await pollFor(() => haStatus(slave!.brokerAddr), (i) => i.haClientRuntimeInfo.lastReadTimestamp >= since + 2000, { timeoutMillis: 5000, intervalMillis: 100, what: 'more heartbeats' });
    const diagnosed = slaveErrors.filter((m) => /below the oldest data .* can never catch up/.test(m));
    assert.equal(diagnosed.length, 1, slaveErrors.join('\n'));
    assert.match(diagnosed[0]!, new RegExp(`ends at ${slaveEnd}, below the oldest data ${masterMin}`));
  });
});
