import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseJavaProperties } from '../common/java-properties.js';
import { createConsoleLogger, type Logger } from '../common/logger.js';
import { applyBrokerProperties, defaultBrokerConfig, type BrokerConfig } from '../broker/broker-config.js';
import { checkBrokerRole } from '../broker/slave/broker-role.js';
import { defaultAuthConfig, type AuthConfig } from '../broker/auth/auth-config.js';
import { applyMessageStoreProperties, createBrokerController, grpcConsumerProperties, splitBrokerProperties } from '../broker/broker-startup.js';
import type { GrpcEndpointOptions } from '../broker/grpc-endpoint.js';
import { ensureDevCertificate, readCertificate } from './dev-certificate.js';
import type { MessageStoreConfig } from '../store/message-store-config.js';
import { waitForSignal } from './signals.js';
import { CONSOLE_CONFIG_KEYS, consoleOptionsFromProperties, type ConsoleServerOptions } from '../console/console-config.js';
import type { ConsoleServer } from '../console/console-server.js';

export const BROKER_USAGE = `usage: rocketmq-ts broker [-c broker.conf] [-n "host:port;host:port"] [--listen-port 10911] [--data-dir DIR]

  -c FILE              a broker.conf with Java property names (brokerClusterName, brokerName, brokerId,
                       namesrvAddr, brokerIP1, listenPort, storePathRootDir, autoCreateTopicEnable, and the
                       store's flushDiskType, mappedFileSizeCommitLog, fileReservedTime, maxMessageSize, ...,
                       and ACL 2.0's authenticationEnabled, authorizationEnabled, authenticationMetadataProvider,
                       authorizationMetadataProvider, initAuthenticationUser, ... as Java's broker reads them;
                       with grpcServerPort the broker serves the RocketMQ 5.x gRPC protocol too, as the Java
                       proxy's keys say: grpcServerPort, grpcBindAddress (default 127.0.0.1), tlsKeyPath and
                       tlsCertPath, or tlsTestModeEnable (default true: a self-signed certificate made with
                       openssl under storePathRootDir/tls); TLS and plaintext share the port); with
                       consoleEnable=true the web console on consolePort (default 8082), consoleBindAddress
                       (default 127.0.0.1; any other address needs consoleToken or $ROCKETMQ_CONSOLE_TOKEN)
  -n ADDRS             name servers to register with, "host:port;host:port" (namesrvAddr)
  --listen-port PORT   port to serve clients on (default 10911; the fast port is PORT - 2; 0 picks free ports)
  --data-dir DIR       the store root: commitlog/, consumequeue/, index/, config/*.json (default ~/store)

Command-line options override the file. Stops cleanly on SIGTERM or SIGINT.`;

interface BrokerArgs {
  'listen-port'?: string;
  'data-dir'?: string;
  config?: string;
  'namesrv-addr'?: string;
  help?: boolean;
}

/** `rocketmq-ts broker`: runs a broker until SIGTERM/SIGINT; resolves to the process exit code. */
export async function runBroker(argv: string[]): Promise<number> {
  let values: BrokerArgs;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'listen-port': { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string', short: 'c' },
        'namesrv-addr': { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`rocketmq-ts broker: ${(err as Error).message}\n\n${BROKER_USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${BROKER_USAGE}\n`);
    return 0;
  }

  const logger = createConsoleLogger('broker');
  let config: BrokerConfig;
  let storeConfig: MessageStoreConfig;
  let authConfig: AuthConfig;
  let grpc: GrpcEndpointOptions | undefined;
  let consoleOptions: ConsoleServerOptions | undefined;
  try {
    ({ config, storeConfig, authConfig, grpc, consoleOptions } = await buildConfig(values, logger));
  } catch (err) {
    process.stderr.write(`rocketmq-ts broker: ${(err as Error).message}\n`);
    return 2;
  }

  const controller = createBrokerController(config, storeConfig, logger, { authConfig, ...(grpc === undefined ? {} : { grpc }) });
  const stop = waitForSignal();
  let consoleServer: ConsoleServer | undefined;
  try {
    await controller.start();
    if (consoleOptions !== undefined) {
      // Loaded only when on: the console's admin and producer are the whole client.
      const { ConsoleServer } = await import('../console/console-server.js');
      consoleServer = new ConsoleServer(consoleOptions);
      await consoleServer.start();
    }
  } catch (err) {
    logger.error('the broker failed to start', err);
    stop.cancel();
    await consoleServer?.shutdown();
    await controller.shutdown();
    return 1;
  }
  // Java prints this line; scripts that start a broker wait for it.
  const namesrv = config.namesrvAddr === '' ? 'null' : config.namesrvAddr;
  process.stdout.write(`The broker[${config.brokerName}, ${controller.brokerAddr}] boot success. serializeType=JSON and name server is ${namesrv}\n`);
  const signal = await stop.promise;
  logger.info(`${signal} received, shutting down`);
  await consoleServer?.shutdown();
  await controller.shutdown();
  return 0;
}

async function buildConfig(
  values: BrokerArgs,
  logger: Logger,
): Promise<{ config: BrokerConfig; storeConfig: MessageStoreConfig; authConfig: AuthConfig; grpc: GrpcEndpointOptions | undefined; consoleOptions: ConsoleServerOptions | undefined }> {
  const warn = (message: string): void => logger.warn(message);
  let config = defaultBrokerConfig(homedir(), process.env['ROCKETMQ_HOME'] ?? '');
  // Java's broker reads NAMESRV_ADDR when broker.conf does not say.
  const fromEnv = process.env['NAMESRV_ADDR'];
  if (fromEnv !== undefined && fromEnv !== '') config.namesrvAddr = fromEnv;
  let storeProperties = new Map<string, string>();
  let authConfig = defaultAuthConfig();
  let grpcProperties = new Map<string, string>();
  const consoleProperties = new Map<string, string>();
  if (values.config !== undefined) {
    const properties = parseJavaProperties(await readFile(values.config, 'utf8'));
    const split = splitBrokerProperties(config, properties);
    // Java's BrokerStartup fills AuthConfig from the same file.
    ({ config, storeProperties, authConfig, grpcProperties } = split);
    for (const key of split.unknown) {
      if (CONSOLE_CONFIG_KEYS.has(key)) consoleProperties.set(key, properties.get(key) as string);
      else warn(`${values.config}: '${key}' is not a broker or store config key, ignored`);
    }
  }
  const overrides = new Map<string, string>();
  if (values['listen-port'] !== undefined) overrides.set('listenPort', values['listen-port']);
  if (values['namesrv-addr'] !== undefined) overrides.set('namesrvAddr', values['namesrv-addr']);
  if (values['data-dir'] !== undefined) overrides.set('storePathRootDir', resolve(values['data-dir']));
  // BrokerStartup's role check, reported like any bad value of the file (the controller checks again).
  config = checkBrokerRole(applyBrokerProperties(config, overrides).config);
  if (config.aclEnable && config.rocketmqHome === '') {
    throw new Error('aclEnable=true needs ROCKETMQ_HOME (or rocketmqHome in broker.conf): the ACL is read from $ROCKETMQ_HOME/conf/plain_acl.yml');
  }
  const storeConfig = applyMessageStoreProperties(config.storePathRootDir, storeProperties);
  const console = consoleOptionsFromProperties(consoleProperties, process.env);
  if (console !== undefined && config.namesrvAddr === '') throw new Error('consoleEnable=true needs namesrvAddr: the console asks the name server, as the CLI does');
  const consoleOptions = console === undefined ? undefined : { ...console, namesrvAddr: config.namesrvAddr, clusterName: config.brokerClusterName, logger };
  return { config, storeConfig, authConfig, grpc: await grpcOptions(grpcProperties, config, storeConfig, logger), consoleOptions };
}

/** The gRPC endpoint when broker.conf sets grpcServerPort (Java proxy keys), else undefined. */
async function grpcOptions(properties: ReadonlyMap<string, string>, config: BrokerConfig, storeConfig: MessageStoreConfig, logger: Logger): Promise<GrpcEndpointOptions | undefined> {
  const portText = properties.get('grpcServerPort');
  if (portText === undefined) return undefined;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`grpcServerPort must be a port number, not '${portText}'`);
  const keyPath = properties.get('tlsKeyPath');
  const certPath = properties.get('tlsCertPath');
  if ((keyPath === undefined) !== (certPath === undefined)) throw new Error('tlsKeyPath and tlsCertPath go together');
  const testMode = (properties.get('tlsTestModeEnable') ?? 'true').toLowerCase() === 'true';
  // The test certificate is made while the broker starts, not before: spawning openssl takes tens of ms that
  // plaintext clients and the broker's readiness do not need (a TLS client's first handshake waits for it).
  const tls =
    keyPath !== undefined && certPath !== undefined
      ? await readCertificate(keyPath, certPath)
      : testMode
        ? pending(ensureDevCertificate(join(config.storePathRootDir, 'tls'), logger))
        : undefined;
  const consumer = grpcConsumerProperties(properties);
  return {
    port,
    bindAddress: properties.get('grpcBindAddress') ?? '127.0.0.1',
    tls,
    maxMessageSize: storeConfig.maxMessageSize,
    autoCreateTopics: false,
    consumer,
  };
}

/** A promise nobody may await for a while: its failure is reported by the gRPC server when a TLS client needs it. */
function pending<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
