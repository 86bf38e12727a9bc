import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAuthConfig, type AuthConfig } from '../broker/auth/auth-config.js';
import { defaultBrokerConfig } from '../broker/broker-config.js';
import type { BrokerController } from '../broker/broker-controller.js';
import { applyMessageStoreProperties, createBrokerController, grpcConsumerProperties, GRPC_SERVER_KEYS, splitBrokerProperties } from '../broker/broker-startup.js';
import { parseJavaProperties } from '../common/java-properties.js';
import { createConsoleLogger, type Logger } from '../common/logger.js';
import { defaultNamesrvConfig } from '../namesrv/config.js';
import { NamesrvController } from '../namesrv/name-server.js';
import { DEFAULT_CONSOLE_PORT } from '../console/console-config.js';
import type { ConsoleServer } from '../console/console-server.js';
import { ensureDevCertificate, type DevCertificate } from './dev-certificate.js';
import { envLines, removeReadyFile, writeReadyFile } from './dev-ready.js';
import { waitForSignal } from './signals.js';

/** Kept between runs, outside any project checkout, so `npm start` in a clone leaves the tree clean. */
export const DEFAULT_DEV_DATA_DIR = join(homedir(), '.rocketmq-ts', 'dev');

export const DEV_USAGE = `usage: rocketmq-ts dev [--namesrv-port 9876] [--broker-port 10911] [--grpc-port 8081|off] [--data-dir DIR] [--broker-ip 127.0.0.1] [--acl USER:PASSWORD]
                       [--metrics-port PORT] [--console-port 8082|off] [-c broker.conf] [--print-env] [--ready-file PATH]

A name server and a broker in one process, for development: topics are created on first send
(autoCreateTopicEnable=true), SQL92 subscriptions are filtered (enablePropertyFilter=true), data is kept
between runs.

  --namesrv-port PORT  name server port (default 9876; 0 picks a free one)
  --broker-port PORT   broker port (default 10911; its fast port is PORT - 2; 0 picks free ones)
  --grpc-port PORT     the RocketMQ 5.x gRPC endpoint for the 5.x SDKs (default 8081; 0 picks a free one; off:
                       none); plaintext, and TLS on the same port with a test certificate made by openssl
  --data-dir DIR       where messages, offsets and topics are kept (default ${DEFAULT_DEV_DATA_DIR})
  --broker-ip IP       the address the broker advertises (default 127.0.0.1, and then both servers listen
                       on loopback only; any other address makes them listen on every interface)
  --acl USER:PASSWORD  ACL 2.0 on (authentication and authorization): USER is created as the super user; every
                       client must sign with a user's credentials (ROCKETMQ_ACCESS_KEY / ROCKETMQ_SECRET_KEY)
  --metrics-port PORT  serve Prometheus metrics (Java 5.x names) at /metrics, and /healthz and /readyz, on
                       loopback (metricsExporterType=PROM; Java's default port is 5557; 0 picks a free one)
  -c FILE              a broker.conf with Java property names, read as \`rocketmq-ts broker -c\` reads it (its
                       listenPort and brokerIP1 stand in for --broker-port and --broker-ip when those are not given)
  --print-env          once ready, print only NAMESRV_ADDR=..., ROCKETMQ_BROKER=... and ROCKETMQ_GRPC_ENDPOINT=...
                       (empty with --grpc-port off) on stdout, in this order; the log goes to stderr
  --ready-file PATH    once ready, write the addresses there as JSON ({"nameServer", "brokerAddr", "grpcEndpoint",
                       "pid"}), atomically; removed on stop
  --console-port PORT  the web console (default ${DEFAULT_CONSOLE_PORT}; 0 picks a free one; off: none), on loopback only

Stops cleanly on SIGTERM or SIGINT (Ctrl-C): messages flushed, checkpoint written.`;

export interface DevOptions {
  namesrvPort: number;
  brokerPort: number;
  dataDir: string;
  brokerIP: string;
  /** The gRPC endpoint's port (0: a free one); undefined: no gRPC endpoint. */
  grpcPort?: number | undefined;
  /** gRPC over TLS too (with a test certificate under the data dir, made by openssl); default on when grpcPort is set. */
  grpcTls?: boolean;
  /** ACL 2.0 with this initial super user (also the broker's own signing credentials). */
  aclUser?: { username: string; password: string };
  /** metricsExporterType=PROM on this port (loopback). */
  metricsPort?: number;
  /**
   * A broker.conf's keys (Java names), read as `broker -c` reads them, over dev's defaults; the options above win,
   * and namesrvAddr and storePathRootDir stay dev's own.
   */
  brokerProperties?: ReadonlyMap<string, string>;
  /** The web console on this port (loopback); undefined: none. */
  consolePort?: number | undefined;
  logger?: Logger;
}

/** A running dev cluster. */
export interface DevCluster {
  readonly namesrv: NamesrvController;
  readonly broker: BrokerController;
  /** host:port of the name server, as clients are told (NAMESRV_ADDR). */
  readonly namesrvAddr: string;
  /** host:port of the gRPC endpoint (the 5.x SDKs' endpoints), when served. */
  readonly grpcEndpoint: string | undefined;
  /** The test certificate the gRPC endpoint's TLS uses, when it has one. */
  readonly grpcCertificate: DevCertificate | undefined;
  /** The web console, when served. */
  readonly console: ConsoleServer | undefined;
  stop(): Promise<void>;
}

/** Starts the name server, then the broker registered with it; on a failure stops what was started. */
export async function startDev(options: DevOptions): Promise<DevCluster> {
  const logger = options.logger ?? createConsoleLogger('dev');
  const bindAddress = options.brokerIP === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0';
  const namesrv = new NamesrvController(
    {
      ...defaultNamesrvConfig(options.dataDir),
      listenPort: options.namesrvPort,
      bindAddress,
    },
    { logger },
  );
  let broker: BrokerController | undefined;
  let consoleServer: ConsoleServer | undefined;
  try {
    await namesrv.start();
    const namesrvAddr = `${options.brokerIP}:${namesrv.port}`;
    const storePathRootDir = join(options.dataDir, 'broker');
    const properties = options.brokerProperties ?? new Map<string, string>();
    const split = splitBrokerProperties(
      // Java's default is off; a development broker lets SQL92 subscriptions in.
      { ...defaultBrokerConfig(options.dataDir), brokerClusterName: 'DefaultCluster', brokerName: 'broker-a', autoCreateTopicEnable: true, enablePropertyFilter: true },
      properties,
    );
    for (const key of split.unknown) logger.warn(`broker.conf: '${key}' is not a broker or store config key, ignored`);
    for (const key of ['namesrvAddr', 'storePathRootDir', ...GRPC_SERVER_KEYS].filter((k) => properties.has(k))) {
      logger.warn(`broker.conf: '${key}' ignored: dev sets it (its own name server, --data-dir, --grpc-port)`);
    }
    const config = {
      ...split.config,
      // Its own name server is always on loopback too: registering works even when brokerIP is not this host's.
      namesrvAddr: `127.0.0.1:${namesrv.port}`,
      brokerIP1: options.brokerIP,
      brokerIP2: properties.has('brokerIP2') ? split.config.brokerIP2 : options.brokerIP,
      listenPort: options.brokerPort,
      bindAddress: properties.has('bindAddress') ? split.config.bindAddress : bindAddress,
      storePathRootDir,
      ...(options.metricsPort === undefined ? {} : { metricsExporterType: 'PROM', metricsPromExporterPort: options.metricsPort }),
    };
    const storeConfig = applyMessageStoreProperties(storePathRootDir, split.storeProperties);
    // The test certificate is made while the broker starts (spawning openssl takes tens of ms): plaintext
    // is served at once, a TLS client's first handshake waits for it, and so does the banner, which names it.
    const certificateMaking = options.grpcPort !== undefined && options.grpcTls !== false ? ensureDevCertificate(join(options.dataDir, 'tls'), logger) : Promise.resolve(undefined);
    certificateMaking.catch(() => undefined);
    const grpc =
      options.grpcPort === undefined
        ? undefined
        : {
            port: options.grpcPort,
            bindAddress,
            tls: certificateMaking,
            maxMessageSize: storeConfig.maxMessageSize,
            autoCreateTopics: config.autoCreateTopicEnable,
            consumer: grpcConsumerProperties(split.grpcProperties),
          };
    const authConfig = options.aclUser === undefined ? split.authConfig : devAuthConfig(options.aclUser);
    broker = createBrokerController(config, storeConfig, logger, { authConfig, ...(grpc === undefined ? {} : { grpc }) });
    await broker.start();
    const certificate = await certificateMaking;
    const started = broker;
    if (options.consolePort !== undefined) {
      // Its admin and producer need the broker registered: they are clients of the name server like the CLI's.
      // Loaded only when on (its admin and producer are the whole client): a dev without it is ready sooner.
      const { ConsoleServer } = await import('../console/console-server.js');
      consoleServer = new ConsoleServer({ namesrvAddr, clusterName: config.brokerClusterName, port: options.consolePort, bindAddress: '127.0.0.1', logger });
      await consoleServer.start();
    }
    const console = consoleServer;
    const grpcPort = started.grpcEndpoint?.port;
    return {
      namesrv,
      broker: started,
      namesrvAddr,
      grpcEndpoint: grpcPort === undefined ? undefined : `${options.brokerIP}:${grpcPort}`,
      grpcCertificate: certificate,
      console,
      async stop() {
        await console?.shutdown();
        await started.shutdown();
        await namesrv.shutdown();
      },
    };
  } catch (err) {
    await consoleServer?.shutdown();
    await broker?.shutdown();
    await namesrv.shutdown();
    throw err;
  }
}

/** The broker.conf keys a Java broker would need for the same: Java's providers, the user as initial and inner user. */
function devAuthConfig(user: { username: string; password: string }): AuthConfig {
  return parseAuthConfig(
    new Map([
      ['authenticationEnabled', 'true'],
      ['authorizationEnabled', 'true'],
      ['authenticationMetadataProvider', 'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider'],
      ['authorizationMetadataProvider', 'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider'],
      ['initAuthenticationUser', JSON.stringify(user)],
      ['innerClientAuthenticationCredentials', JSON.stringify({ accessKey: user.username, secretKey: user.password })],
    ]),
  );
}

/** `rocketmq-ts dev`: runs until SIGTERM/SIGINT; resolves to the process exit code. */
export async function runDev(argv: string[]): Promise<number> {
  const begin = performance.now();
  let values: {
    'namesrv-port'?: string;
    'broker-port'?: string;
    'grpc-port'?: string;
    'data-dir'?: string;
    'broker-ip'?: string;
    acl?: string;
    'metrics-port'?: string;
    config?: string;
    'print-env'?: boolean;
    'ready-file'?: string;
    'console-port'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'namesrv-port': { type: 'string' },
        'broker-port': { type: 'string' },
        'grpc-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'broker-ip': { type: 'string' },
        acl: { type: 'string' },
        'metrics-port': { type: 'string' },
        config: { type: 'string', short: 'c' },
        'print-env': { type: 'boolean' },
        'ready-file': { type: 'string' },
        'console-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`rocketmq-ts dev: ${(err as Error).message}\n\n${DEV_USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${DEV_USAGE}\n`);
    return 0;
  }
  let properties: Map<string, string> | undefined;
  try {
    if (values.config !== undefined) properties = parseJavaProperties(await readFile(values.config, 'utf8'));
  } catch (err) {
    process.stderr.write(`rocketmq-ts dev: ${(err as Error).message}\n`);
    return 2;
  }
  const namesrvPort = parsePort(values['namesrv-port'] ?? '9876');
  const brokerPort = parsePort(values['broker-port'] ?? properties?.get('listenPort')?.trim() ?? '10911');
  const grpcText = values['grpc-port'] ?? '8081';
  const grpcPort = grpcText === 'off' ? undefined : parsePort(grpcText);
  const metricsPort = values['metrics-port'] === undefined ? undefined : parsePort(values['metrics-port']);
  const badGrpc = grpcText !== 'off' && grpcPort === undefined;
  const badMetrics = values['metrics-port'] !== undefined && metricsPort === undefined;
  const consoleText = values['console-port'] ?? String(DEFAULT_CONSOLE_PORT);
  const consolePort = consoleText === 'off' ? undefined : parsePort(consoleText);
  const badConsole = consoleText !== 'off' && consolePort === undefined;
  if (namesrvPort === undefined || brokerPort === undefined || badGrpc || badMetrics || badConsole) {
    process.stderr.write(`rocketmq-ts dev: a port is an integer from 0 to 65535\n\n${DEV_USAGE}\n`);
    return 2;
  }
  const acl = values.acl;
  const colon = acl?.indexOf(':') ?? -1;
  if (acl !== undefined && (colon < 1 || colon === acl.length - 1)) {
    process.stderr.write(`rocketmq-ts dev: --acl takes USER:PASSWORD\n\n${DEV_USAGE}\n`);
    return 2;
  }
  const options: DevOptions = {
    ...(acl === undefined ? {} : { aclUser: { username: acl.slice(0, colon), password: acl.slice(colon + 1) } }),
    ...(metricsPort === undefined ? {} : { metricsPort }),
    namesrvPort,
    brokerPort,
    grpcPort,
    consolePort,
    dataDir: resolve(values['data-dir'] ?? DEFAULT_DEV_DATA_DIR),
    brokerIP: values['broker-ip'] ?? properties?.get('brokerIP1')?.trim() ?? '127.0.0.1',
    ...(properties === undefined ? {} : { brokerProperties: properties }),
    // With --print-env stdout carries the addresses alone.
    logger: createConsoleLogger('dev', 'info', values['print-env'] === true ? process.stderr : process.stdout),
  };
  const readyFile = values['ready-file'] === undefined ? undefined : resolve(values['ready-file']);
  if (readyFile !== undefined) await removeReadyFile(readyFile);

  const stop = waitForSignal();
  let cluster: DevCluster;
  try {
    cluster = await startDev(options);
  } catch (err) {
    options.logger?.error('rocketmq-ts dev failed to start', err);
    stop.cancel();
    return 1;
  }
  const addresses = { nameServer: cluster.namesrvAddr, brokerAddr: cluster.broker.brokerAddr, grpcEndpoint: cluster.grpcEndpoint };
  if (readyFile !== undefined) await writeReadyFile(readyFile, addresses);
  process.stdout.write(values['print-env'] === true ? envLines(addresses) : banner(cluster, options, performance.now() - begin));
  const signal = await stop.promise;
  options.logger?.info(`${signal} received, shutting down`);
  if (readyFile !== undefined) await removeReadyFile(readyFile);
  await cluster.stop();
  return 0;
}

function banner(cluster: DevCluster, options: DevOptions, startMillis: number): string {
  const { namesrvAddr, broker, grpcEndpoint, grpcCertificate } = cluster;
  const grpcLine =
    grpcEndpoint === undefined
      ? ''
      : `\n  gRPC         ${grpcEndpoint}  (RocketMQ 5.x SDKs: endpoints '${grpcEndpoint}')${
          grpcCertificate === undefined ? '' : `\n               TLS too (Java SDK default); Node/Python SDKs with TLS on trust its test certificate with\n               GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=${grpcCertificate.certPath}`
        }`;
  return `
rocketmq-ts dev is ready (${Math.round(startMillis)} ms)
  name server  ${namesrvAddr}
  broker       ${broker.brokerAddr}  (cluster DefaultCluster, broker-a; fast port ${broker.fastPort})${grpcLine}
  data         ${options.dataDir}  (kept between runs; delete it to start afresh)
  topics       created on first send (autoCreateTopicEnable=true); SQL92 selectors on (enablePropertyFilter=true)${
    options.aclUser === undefined ? '' : `\n  ACL 2.0      on: sign with ROCKETMQ_ACCESS_KEY=${options.aclUser.username} and its password; add users with rocketmq-ts user`
  }${broker.metricsPort === undefined ? '' : `\n  metrics      http://127.0.0.1:${broker.metricsPort}/metrics  (and /healthz, /readyz)`}${
    cluster.console === undefined ? '' : `\n  console      http://${cluster.console.url}  (web console; --console-port off to leave it out)`
  }

Send a first message with the Java quickstart from an Apache RocketMQ distribution:
  export NAMESRV_ADDR=${namesrvAddr}
  sh bin/tools.sh org.apache.rocketmq.example.quickstart.Producer
  sh bin/tools.sh org.apache.rocketmq.example.quickstart.Consumer
or point any RocketMQ client (Java, Go, Node) at ${namesrvAddr}. Ctrl-C stops it cleanly.
`;
}

function parsePort(text: string): number | undefined {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n <= 65535 ? n : undefined;
}
