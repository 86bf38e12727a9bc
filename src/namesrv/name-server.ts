import { BoundedExecutor } from '../common/executor.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { RequestCode } from '../protocol/request-code.js';
import type { ChannelEventListener } from '../remoting/channel-event.js';
import type { RemotingChannel } from '../remoting/remoting-channel.js';
import { RemotingServer } from '../remoting/remoting-server.js';
import { prometheusEndpoint, prometheusExporterAddress, type HttpEndpoint } from '../remoting/http-endpoint.js';
import { RemotingMetricsManager } from '../remoting/remoting-metrics.js';
import { formatPrometheusText } from '../common/prometheus-text.js';
import { collectNamesrvMetrics } from './namesrv-metrics.js';
import { RUNTIME_UPDATABLE_KEYS, applyNamesrvProperties, type NamesrvConfig } from './config.js';
import { KVConfigManager } from './kv-config-manager.js';
import { ClientRequestProcessor } from './processors/client-request-processor.js';
import { DefaultRequestProcessor } from './processors/default-request-processor.js';
import type { NamesrvContext } from './processors/namesrv-context.js';
import { RouteInfoManager } from './route-info-manager.js';

/** Java schedules the first scanNotActiveBroker 5 s after start. */
const SCAN_INITIAL_DELAY_MILLIS = 5000;

export interface NamesrvControllerOptions {
  logger?: Logger;
  /** Largest frame accepted (default: the remoting default, 16 MiB). */
  maxFrameLength?: number;
}

type State = 'created' | 'running' | 'stopped';

/**
 * NamesrvController.java: the name server. A RemotingServer whose GET_ROUTEINFO_BY_TOPIC runs on the client
 * executor and everything else on the default processor; broker connections that close, fail or go idle
 * unregister their brokers; brokers that stop registering expire on a periodic scan.
 */
export class NamesrvController implements NamesrvContext {
  readonly routeInfoManager: RouteInfoManager<RemotingChannel>;
  readonly kvConfigManager: KVConfigManager;
  readonly logger: Logger;
  startupTimeMillis = 0;
  private currentConfig: NamesrvConfig;
  private readonly remotingServer: RemotingServer;
  private state: State = 'created';
  private starting: Promise<void> | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  /** metricsExporterType=PROM: /metrics, /healthz and /readyz. */
  private metricsEndpoint: HttpEndpoint | undefined;

  constructor(config: NamesrvConfig, options: NamesrvControllerOptions = {}) {
    this.currentConfig = { ...config };
    this.logger = options.logger ?? silentLogger;
    this.routeInfoManager = new RouteInfoManager<RemotingChannel>({
      deleteTopicWithBrokerRegistration: () => this.currentConfig.deleteTopicWithBrokerRegistration,
    });
    this.kvConfigManager = new KVConfigManager(config.kvConfigPath, this.logger);
    const housekeeping: ChannelEventListener = {
      onChannelClose: (remoteAddr) => this.onChannelDestroy(remoteAddr, 'closed'),
      onChannelException: (remoteAddr) => this.onChannelDestroy(remoteAddr, 'failed'),
      onChannelIdle: (remoteAddr) => this.onChannelDestroy(remoteAddr, 'idle'),
    };
    this.remotingServer = new RemotingServer({
      listenPort: config.listenPort,
      bindAddress: config.bindAddress,
      serverChannelMaxIdleTimeSeconds: config.serverChannelMaxIdleTimeSeconds,
      serverAsyncSemaphoreValue: config.serverAsyncSemaphoreValue,
      serverOnewaySemaphoreValue: config.serverOnewaySemaphoreValue,
      maxFrameLength: options.maxFrameLength,
      logger: this.logger,
      channelEventListener: housekeeping,
    });
    this.remotingServer.registerProcessor(
      RequestCode.GET_ROUTEINFO_BY_TOPIC,
      new ClientRequestProcessor(this),
      new BoundedExecutor({ maxConcurrency: config.clientRequestThreadPoolNums, queueCapacity: config.clientRequestThreadPoolQueueCapacity }),
    );
    this.remotingServer.registerDefaultProcessor(
      new DefaultRequestProcessor(this),
      new BoundedExecutor({ maxConcurrency: config.defaultThreadPoolNums, queueCapacity: config.defaultThreadPoolQueueCapacity }),
    );
  }

  get config(): Readonly<NamesrvConfig> {
    return this.currentConfig;
  }

  /** The bound port (after start()). */
  get port(): number {
    return this.remotingServer.port;
  }

  /** The bound port of the Prometheus endpoint, undefined unless metricsExporterType is PROM (after start()). */
  get metricsPort(): number | undefined {
    return this.metricsEndpoint?.port;
  }

  /** Loads the KV config, listens, and schedules the broker expiry scan. Calling it again is harmless. */
  start(): Promise<void> {
    if (this.state === 'stopped') return Promise.reject(new Error('the name server was shut down'));
    this.starting ??= this.doStart();
    return this.starting;
  }

  /** Stops listening, closes every connection, clears the scan, and waits for KV writes in flight. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.scanTimer);
    clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    await this.starting?.catch(() => undefined);
    await this.metricsEndpoint?.shutdown();
    await this.remotingServer.shutdown();
    await this.kvConfigManager.flush();
    this.logger.info('name server shut down');
  }

  updateConfig(properties: ReadonlyMap<string, string>): void {
    const { config } = applyNamesrvProperties(this.currentConfig, properties, RUNTIME_UPDATABLE_KEYS);
    this.currentConfig = config;
    this.logger.info(`name server config updated: ${[...properties].map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }

  /** Expires brokers silent for longer than their timeout and closes their connections. */
  scanNotActiveBroker(now: number = Date.now()): void {
    for (const live of this.routeInfoManager.scanNotActiveBroker(now)) {
      this.logger.warn(`broker ${live.brokerAddr} of cluster ${live.clusterName} expired after ${live.heartbeatTimeoutMillis}ms`);
      live.channel.close();
    }
  }

  private async doStart(): Promise<void> {
    await this.kvConfigManager.load();
    if (this.stopped) return;
    await this.startMetricsEndpoint();
    if (this.stopped) return;
    await this.remotingServer.start();
    if (this.stopped) return;
    this.state = 'running';
    this.startupTimeMillis = Date.now();
    const interval = Math.max(1, this.currentConfig.scanNotActiveBrokerInterval);
    this.scanTimer = setTimeout(() => {
      this.scanNotActiveBroker();
      this.scanTimer = setInterval(() => this.scanNotActiveBroker(), interval);
      this.scanTimer.unref();
    }, SCAN_INITIAL_DELAY_MILLIS);
    this.scanTimer.unref();
    this.logger.info(`name server started on port ${this.port}`);
  }

  /** metricsExporterType=PROM: the rpc latency of every answered request and the route counts, labelled node_type="namesrv". */
  private async startMetricsEndpoint(): Promise<void> {
    const address = prometheusExporterAddress(this.currentConfig, this.logger);
    if (address === undefined) return;
    const { host } = address;
    const remotingMetrics = new RemotingMetricsManager();
    this.remotingServer.setRemotingMetrics(remotingMetrics);
    const endpoint = prometheusEndpoint({
      ...address,
      logger: this.logger,
      metrics: () =>
        formatPrometheusText([...collectNamesrvMetrics(this.routeInfoManager), ...remotingMetrics.families()], { node_type: 'namesrv', node_id: `${host}:${this.port}` }, Date.now()),
      ready: () => this.state === 'running',
    });
    await endpoint.start();
    this.metricsEndpoint = endpoint;
    this.logger.info(`name server metrics (Prometheus) on ${host}:${endpoint.port}/metrics`);
  }

  /** A getter so the checks after each await are not narrowed away by the compiler. */
  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  private onChannelDestroy(remoteAddr: string, why: string): void {
    for (const broker of this.routeInfoManager.onChannelDestroy(remoteAddr)) {
      this.logger.info(`broker ${broker.brokerName} (${broker.brokerAddr}, id ${broker.brokerId}) unregistered: its connection ${remoteAddr} ${why}`);
    }
  }
}
