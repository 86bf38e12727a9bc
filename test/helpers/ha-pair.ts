/**
 * A replicating master/slave pair of ours for failover reads (H13): the master started from a broker.conf written
 * for a Java master, in a child process so that it can be killed with SIGKILL; the slave in this process, from a Java
 * slave's keys split as broker.conf is (brokerRole sets the broker and its store, as in Java), replicating from the
 * master's HA port (haMasterAddress) and serving reads.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { splitBrokerProperties } from '../../src/broker/broker-startup.js';
import { defaultBrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startBrokerProcess, type RunningBroker } from './broker-process.js';
import { startTestBroker, startTestNamesrv } from './cluster.js';
import { freeBrokerPort } from './java.js';

export interface ReplicatedPair {
  namesrv: NamesrvController;
  namesrvAddr: string;
  master: RunningBroker;
  slave: BrokerController;
  /** Kills the master if it still runs, then stops the slave and the name server. */
  shutdown(): Promise<void>;
}

export async function startReplicatedPair(
  dir: string,
  options: { clusterName: string; brokerName: string; brokerRole: 'ASYNC_MASTER' | 'SYNC_MASTER'; segmentSize: number },
): Promise<ReplicatedPair> {
  const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
  const port = await freeBrokerPort();
  const conf = join(dir, 'master.conf');
  await writeFile(
    conf,
    [
      `brokerClusterName=${options.clusterName}`,
      `brokerName=${options.brokerName}`,
      'brokerId=0',
      `brokerRole=${options.brokerRole}`,
      `listenPort=${port}`,
      'brokerIP1=127.0.0.1',
      'brokerIP2=127.0.0.1',
      'bindAddress=127.0.0.1',
      `namesrvAddr=${namesrvAddr}`,
      `storePathRootDir=${join(dir, 'master')}`,
      `mappedFileSizeCommitLog=${options.segmentSize}`,
      'flushDiskType=ASYNC_FLUSH',
      'autoCreateTopicEnable=true',
    ].join('\n'),
  );
  const master = await startBrokerProcess(conf);
  const split = splitBrokerProperties(
    defaultBrokerConfig(dir),
    new Map([
      ['brokerClusterName', options.clusterName],
      ['brokerName', options.brokerName],
      ['brokerRole', 'SLAVE'],
      ['brokerId', '1'],
      ['slaveReadEnable', 'true'],
      ['haMasterAddress', `127.0.0.1:${port + 1}`],
      ['mappedFileSizeCommitLog', String(options.segmentSize)],
    ]),
  );
  const { brokerClusterName, brokerName, brokerRole, brokerId, slaveReadEnable } = split.config;
  const store = Object.fromEntries([...split.storeProperties].map(([key, value]) => [key, /^\d+$/.test(value) ? Number(value) : value]));
  let slave: BrokerController;
  try {
    slave = await startTestBroker(join(dir, 'slave'), namesrvAddr, { broker: { brokerClusterName, brokerName, brokerRole, brokerId, slaveReadEnable }, store });
  } catch (error) {
    master.child.kill('SIGKILL');
    await master.exit;
    await namesrv.shutdown();
    throw error;
  }
  return {
    namesrv,
    namesrvAddr,
    master,
    slave,
    shutdown: async () => {
      if (master.child.exitCode === null && master.child.signalCode === null) {
        master.child.kill('SIGKILL');
        await master.exit;
      }
      await slave.shutdown();
      await namesrv.shutdown();
    },
  };
}
