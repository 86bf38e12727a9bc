/**
 * The gRPC front of the Java reference stack: Apache RocketMQ's `rocketmq-proxy` in cluster mode in front of a name
 * server and its brokers (Java's, or ours), plus the mqadmin calls that give topics a `message.type` and groups the
 * FIFO flag. The 5.x SDK interop tests and bench/grpc.ts pin their expectations on this stack first
 * (shared/reference/grpc-proxy.md §4, §5.1).
 *
 * The proxy has no bind-address key in 5.3.3: its gRPC and remoting ports listen on all interfaces. Both are free
 * ports picked here, so a run never collides with a developer's proxy on 8080/8081.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildInterop, freePort, runMqAdmin, startJava, type JavaProcess, type RocketMQVersion } from './java.js';

export interface JavaProxy {
  /** host:port of the gRPC MessagingService, what the SDKs take as `endpoints`. */
  readonly endpoint: string;
  readonly grpcPort: number;
  readonly remotingPort: number;
  readonly process: JavaProcess;
  /** The temporary directory: rmq-proxy.json and logs/rocketmqlogs/proxy.log. */
  readonly dir: string;
  /** SIGTERM (SIGKILL after 5 s), then deletes the directory. */
  stop(): Promise<void>;
}

export interface StartJavaProxyOptions {
  namesrvAddr: string;
  version?: RocketMQVersion;
  /** The cluster whose brokers the proxy serves (rocketMQClusterName); default DefaultCluster. */
  clusterName?: string;
  /** More rmq-proxy.json keys (ProxyConfig field names); they override ours. */
  config?: Record<string, string | number | boolean>;
}

/**
 * Test-mode proxy settings. Long polls of at most 3 s (Java's 20 s would dominate every SDK run and every push
 * consumer's shutdown) and the proxy's transaction heartbeat every 2 s instead of 20 s: the broker can only ask a
 * producer group about an orphan transaction once the proxy has registered that group with it.
 */
export const PROXY_TEST_CONFIG = {
  grpcClientConsumerMinLongPollingTimeoutMillis: 1000,
  grpcClientConsumerMaxLongPollingTimeoutMillis: 3000,
  transactionHeartbeatPeriodSecond: 2,
} as const;

/** Starts `org.apache.rocketmq.proxy.ProxyStartup -pm cluster` and resolves once it prints that it started. */
export async function startJavaProxy(options: StartJavaProxyOptions): Promise<JavaProxy> {
  const version = options.version ?? '5.3.3';
  if (version === '4.9.8') throw new Error('rocketmq-proxy exists from 5.0 on; there is none for 4.9.8');
  const { classpath } = await buildInterop(version);
  const dir = await mkdtemp(path.join(tmpdir(), `rmqts-proxy-${version}-`));
  const grpcPort = await freePort();
  let remotingPort = await freePort();
  while (remotingPort === grpcPort) remotingPort = await freePort();
  const configFile = path.join(dir, 'rmq-proxy.json');
  await writeFile(
    configFile,
    JSON.stringify({
      rocketMQClusterName: options.clusterName ?? 'DefaultCluster',
      namesrvAddr: options.namesrvAddr,
      proxyMode: 'cluster',
      grpcServerPort: grpcPort,
      remotingListenPort: remotingPort,
      ...PROXY_TEST_CONFIG,
      ...options.config,
    }),
  );
  // On a failed start the directory is kept: its logs explain the failure, and startJava's error names it.
  const proxyProcess = await startJava({
    name: `proxy-${version}`,
    mainClass: 'org.apache.rocketmq.proxy.ProxyStartup',
    args: ['-pc', configFile, '-pm', 'cluster', '-n', options.namesrvAddr],
    classpath,
    home: dir,
    heapMb: 512,
    // The proxy's own logback file: proxy.log under <dir>/logs/rocketmqlogs.
    jvmArgs: ['-XX:MaxDirectMemorySize=512m', '-Drmq.logback.configurationFile=rmq.proxy.logback.xml'],
    readyLine: /rocketmq-proxy startup successfully/,
    readyTimeoutMs: 120_000,
  });
  return {
    endpoint: `127.0.0.1:${grpcPort}`,
    grpcPort,
    remotingPort,
    process: proxyProcess,
    dir,
    stop: async () => {
      await proxyProcess.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The topic attribute the proxy and the SDKs route and validate by (TopicMessageType in Java). */
export type TopicMessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'MIXED';

async function mqadmin(args: string[], version: RocketMQVersion, what: string): Promise<void> {
  const { code, stdout, stderr } = await runMqAdmin(args, { version });
  // mqadmin prints its failures and still exits 0 for some of them; "success" is its word for a done update.
  if (code !== 0 || !/success/i.test(stdout)) {
    throw new Error(`mqadmin ${args.join(' ')} (${what}) exited with ${String(code)}:\n${stdout}\n${stderr}`);
  }
}

/** `mqadmin updateTopic -a +message.type=<type>` on every broker of the cluster (8 queues, as Java's default). */
export async function createTypedTopic(
  namesrvAddr: string,
  topic: string,
  type: TopicMessageType,
  options: { clusterName?: string; version?: RocketMQVersion } = {},
): Promise<void> {
  const args = ['updateTopic', '-n', namesrvAddr, '-c', options.clusterName ?? 'DefaultCluster', '-t', topic];
  await mqadmin([...args, '-a', `+message.type=${type}`], options.version ?? '5.3.3', `topic ${topic} ${type}`);
}

/** `mqadmin updateSubGroup`: `fifo` sets consumeMessageOrderly (-o), `retryMaxTimes` the group's retries (-r). */
export async function createSubscriptionGroup(
  namesrvAddr: string,
  group: string,
  options: { fifo?: boolean; retryMaxTimes?: number; clusterName?: string; version?: RocketMQVersion } = {},
): Promise<void> {
  const args = ['updateSubGroup', '-n', namesrvAddr, '-c', options.clusterName ?? 'DefaultCluster', '-g', group];
  if (options.fifo === true) args.push('-o', 'true');
  if (options.retryMaxTimes !== undefined) args.push('-r', String(options.retryMaxTimes));
  await mqadmin(args, options.version ?? '5.3.3', `group ${group}`);
}
