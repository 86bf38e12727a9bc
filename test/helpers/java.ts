/**
 * Java side of the interop harness: builds the Maven project in interop/ and starts Java programs, among them the real
 * Apache RocketMQ name server and broker, on free loopback ports in temporary directories.
 *
 * Every process started here is tracked and killed when this Node process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signal, track } from './processes.js';

/** Compiled to dist-test/test/helpers/java.js, so the repository root is three levels up. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const INTEROP_DIR = path.join(REPO_ROOT, 'interop');
/** ROCKETMQ_HOME for every Java process: 4.9.x reads its logback files from conf/ there; 5.x only null-checks it. */
const ROCKETMQ_HOME = path.join(INTEROP_DIR, 'rocketmq-home');

/**
 * RocketMQ releases the interop project builds against. For 4.9.8, the name server and broker are 4.9.7: 4.9.8's
 * rocketmq-namesrv and rocketmq-broker were never published to Maven Central (see interop/pom.xml, profile rmq-4.9).
 */
export type RocketMQVersion = '5.3.3' | '4.9.8' | '5.5.0';

/** The JDK 17 module openings RocketMQ needs (4.9.x mapped-file cleanup above all); unused ones are harmless. */
const JDK17_FLAGS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED',
];

/** Our programs log warnings to stderr (interop-logback.xml: 5.x shaded logback, and logback 1.2 for 4.9.x). */
const INTEROP_LOGGING = [
  '-Drmq.logback.configurationFile=interop-logback.xml',
  '-Dlogback.configurationFile=interop-logback.xml',
];

const TAIL_LINES = 100;
const MAX_CAPTURE = 4 * 1024 * 1024;

// ------------------------------------------------------------------------------------------------------------------
// Tools and build

function runTool(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, output: String(error) });
      return;
    }
    const append = (chunk: Buffer): void => {
      if (output.length < MAX_CAPTURE) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: output + String(error) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function lastLines(text: string, count = TAIL_LINES): string {
  return text.split('\n').slice(-count).join('\n');
}

/** Whether `java` and `mvn` can be run. */
export async function javaAvailable(): Promise<{ ok: boolean; why?: string }> {
  for (const [tool, args] of [
    ['java', ['-version']],
    ['mvn', ['-v']],
  ] as const) {
    const { code, output } = await runTool(tool, [...args], { timeoutMs: 60_000 });
    if (code !== 0) return { ok: false, why: `${tool} ${args.join(' ')} failed: ${lastLines(output, 5).trim()}` };
  }
  return { ok: true };
}

/**
 * The `skip` option for an interop suite: false when Java and Maven are here; otherwise a reason, announced loudly.
 * In CI a missing toolchain is a failure, never a silent skip.
 */
export async function interopSkip(): Promise<false | string> {
  const availability = await javaAvailable();
  if (availability.ok) return false;
  if (process.env.CI !== undefined) throw new Error(`java interop tests need java and mvn: ${availability.why}`);
  console.warn(`\n*** SKIPPING Java interop tests: ${availability.why} ***\n`);
  return `java or mvn missing: ${availability.why}`;
}

async function newestMtime(target: string): Promise<number> {
  const info = await stat(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target)) {
    newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  }
  return newest;
}

async function mtimeOrZero(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

function mavenVersionArgs(version: RocketMQVersion): string[] {
  return version === '4.9.8' ? ['-P', 'rmq-4.9'] : [`-Drocketmq.version=${version}`];
}

const builds = new Map<RocketMQVersion, Promise<{ classpath: string }>>();

/**
 * Builds interop/ against one RocketMQ release (output in interop/target/<version>/) and returns the classpath of its
 * programs. Maven runs only when pom.xml or a source changed since this helper's last successful build of that
 * version; the first build downloads a few hundred MB from Maven Central.
 */
export function buildInterop(version: RocketMQVersion = '5.3.3'): Promise<{ classpath: string }> {
  let build = builds.get(version);
  if (build === undefined) {
    build = doBuild(version);
    builds.set(version, build);
    build.catch(() => builds.delete(version));
  }
  return build;
}

async function doBuild(version: RocketMQVersion): Promise<{ classpath: string }> {
  const target = path.join(INTEROP_DIR, 'target', version);
  const classes = path.join(target, 'classes');
  const classpathFile = path.join(target, 'classpath.txt');
  // Maven leaves an unchanged jar or classpath file untouched, so their mtimes cannot tell whether a build is current.
  const stamp = path.join(target, 'rocketmq-ts-build.stamp');
  const inputs = Math.max(
    await newestMtime(path.join(INTEROP_DIR, 'pom.xml')),
    await newestMtime(path.join(INTEROP_DIR, 'src')),
  );
  const built = Math.min(await mtimeOrZero(stamp), await mtimeOrZero(classpathFile), await mtimeOrZero(classes));
  if (built === 0 || (await mtimeOrZero(stamp)) < inputs) {
    const args = ['-B', '-q', ...mavenVersionArgs(version), 'package'];
    const { code, output } = await runTool('mvn', args, { cwd: INTEROP_DIR, timeoutMs: 20 * 60_000 });
    if (code !== 0) {
      throw new Error(`mvn ${args.join(' ')} (in ${INTEROP_DIR}) exited with ${code}:\n${lastLines(output)}`);
    }
    await writeFile(stamp, `${new Date().toISOString()} mvn ${args.join(' ')}\n`);
  }
  const dependencies = (await readFile(classpathFile, 'utf8')).trim();
  return { classpath: `${classes}${path.delimiter}${dependencies}` };
}

// ------------------------------------------------------------------------------------------------------------------
// Processes

export interface StartJavaOptions {
  mainClass: string;
  args?: string[];
  classpath: string;
  /** Added to this process's environment (ROCKETMQ_HOME is set unless given here). */
  env?: Record<string, string>;
  /** -Xms and -Xmx; default 256. */
  heapMb?: number;
  /** JVM options after the defaults (heap, JDK 17 openings, interop logging, user.home), so they win. */
  jvmArgs?: string[];
  /** user.home of the JVM, where RocketMQ writes logs/ and stores; default: a new temporary directory. */
  home?: string;
  /** Line on stdout that means the program is ready; without it, startJava returns once the JVM is spawned. */
  readyLine?: RegExp;
  /** Default 60 s. */
  readyTimeoutMs?: number;
  /** A pipe to the program's stdin (JavaProcess.stdin), for a program driven by commands; default: no stdin. */
  stdin?: boolean;
  cwd?: string;
  /** For messages; default: the main class's simple name. */
  name?: string;
}

export interface JavaProcess {
  readonly name: string;
  readonly pid: number;
  /** The user.home directory of the JVM. */
  readonly home: string;
  /** Everything written to stdout so far (capped at 4 MiB). */
  readonly stdout: string;
  /** The program's stdin, with StartJavaOptions.stdin; null otherwise. */
  readonly stdin: Writable | null;
  /** Exit code, or the signal's name, once the process has ended. */
  readonly exit: Promise<number | string>;
  /** Resolves with the first stdout line (seen so far or to come) that matches; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s); then deletes its temporary home. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

function javaCommandLine(options: StartJavaOptions, home: string): string[] {
  const heap = options.heapMb ?? 256;
  return [
    `-Xms${heap}m`,
    `-Xmx${heap}m`,
    '-XX:+UseG1GC',
    '-XX:-OmitStackTraceInFastThrow',
    ...JDK17_FLAGS,
    ...INTEROP_LOGGING,
    `-Duser.home=${home}`,
    ...(options.jvmArgs ?? []),
    '-cp',
    options.classpath,
    options.mainClass,
    ...(options.args ?? []),
  ];
}

function spawnJava(options: StartJavaOptions, home: string): ChildProcess {
  const child = spawn('java', javaCommandLine(options, home), {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ROCKETMQ_HOME, ...options.env },
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  // A write after the program died fails with EPIPE: its exit is what callers see (waitForLine rejects), not an error.
  child.stdin?.on('error', () => undefined);
  track(child);
  return child;
}

function simpleName(mainClass: string): string {
  return mainClass.slice(mainClass.lastIndexOf('.') + 1);
}

/** Starts a long-running Java program; with `readyLine`, resolves once that line appears on stdout. */
export async function startJava(options: StartJavaOptions): Promise<JavaProcess> {
  const name = options.name ?? simpleName(options.mainClass);
  const ownHome = options.home === undefined;
  const home = options.home ?? (await mkdtemp(path.join(tmpdir(), `rmqts-${name}-`)));
  const child = spawnJava(options, home);

  let stdout = '';
  const combined: string[] = [];
  let partial = { out: '', err: '' };
  const lineListeners = new Set<(line: string) => void>();
  const collect = (stream: 'out' | 'err') => (chunk: Buffer) => {
    const text = partial[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = { ...partial, [stream]: lines.pop() ?? '' };
    if (stream === 'out' && stdout.length < MAX_CAPTURE) stdout += chunk.toString('utf8');
    for (const line of lines) {
      combined.push(stream === 'err' ? `[stderr] ${line}` : line);
      if (combined.length > TAIL_LINES) combined.shift();
      if (stream === 'out') for (const listener of lineListeners) listener(line);
    }
  };
  child.stdout?.on('data', collect('out'));
  child.stderr?.on('data', collect('err'));

  const exit = new Promise<number | string>((resolve) => {
    child.once('error', (error) => {
      combined.push(`[spawn error] ${String(error)}`);
      resolve('SPAWN_ERROR');
    });
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  let exited = false;
  void exit.then(() => (exited = true));

  const describe = (what: string): Error =>
    new Error(
      `${name} (pid ${child.pid ?? '?'}, home ${home}) ${what}; last ${TAIL_LINES} lines of output:\n` +
        combined.join('\n'),
    );

  const waitForLine = (pattern: RegExp, timeoutMs: number): Promise<string> => {
    const seen = stdout.split('\n').find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    if (exited) return Promise.reject(describe(`exited before printing ${String(pattern)}`));
    return new Promise<string>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        lineListeners.delete(onLine);
      };
      const onLine = (line: string): void => {
        if (!pattern.test(line)) return;
        finish();
        resolve(line);
      };
      const timer = setTimeout(() => {
        finish();
        reject(describe(`printed no line matching ${String(pattern)} within ${timeoutMs} ms`));
      }, timeoutMs);
      lineListeners.add(onLine);
      void exit.then((status) => {
        finish();
        reject(describe(`exited (${status}) before printing ${String(pattern)}`));
      });
    });
  };

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5000): Promise<void> => {
    stopping ??= (async () => {
      if (!exited && child.pid !== undefined) {
        signal(child.pid, 'SIGTERM');
        const killer = setTimeout(() => {
          if (!exited && child.pid !== undefined) signal(child.pid, 'SIGKILL');
        }, graceMs);
        await exit;
        clearTimeout(killer);
      }
      if (ownHome) await rm(home, { recursive: true, force: true });
    })();
    return stopping;
  };

  const javaProcess: JavaProcess = {
    name,
    pid: child.pid ?? -1,
    home,
    get stdout() {
      return stdout;
    },
    stdin: child.stdin,
    exit,
    waitForLine,
    stop,
  };
  if (options.readyLine !== undefined) {
    try {
      await waitForLine(options.readyLine, options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      await stop(0);
      throw error;
    }
  }
  return javaProcess;
}

export interface RunJavaOptions extends Omit<StartJavaOptions, 'readyLine' | 'readyTimeoutMs'> {
  /** Default 60 s; the JVM is killed when it runs longer and runJava rejects. */
  timeoutMs?: number;
}

/** Runs a Java program to completion (mqadmin, RemotingPeerClient, GoldenFrames). */
export async function runJava(options: RunJavaOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const name = options.name ?? simpleName(options.mainClass);
  const ownHome = options.home === undefined;
  const home = options.home ?? (await mkdtemp(path.join(tmpdir(), `rmqts-${name}-`)));
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    return await new Promise((resolve, reject) => {
      const child = spawnJava(options, home);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        if (stdout.length < MAX_CAPTURE) stdout += chunk.toString('utf8');
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_CAPTURE) stderr += chunk.toString('utf8');
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `${name} did not finish within ${timeoutMs} ms; output:\n${lastLines(stdout)}\n[stderr]\n${lastLines(stderr)}`,
          ),
        );
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    if (ownHome) await rm(home, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Ports

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * The kernel's range of ephemeral ports (ip_local_port_range): the local ports of outgoing connections. A port the
 * kernel hands out for listen(0) is in it, so between the test learning it and listening on it, any process's next
 * connection can take it (EADDRINUSE on a machine busy with other tests).
 */
function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // Not Linux: listen(0) below.
  }
  return [49152, 65535];
}

const EPHEMERAL_PORTS = ephemeralPortRange();
/** Where freePort looks first: below the ephemeral range, where only listeners take ports. */
const QUIET_PORTS: [number, number] = [10_000, Math.min(EPHEMERAL_PORTS[0], 65_536) - 1];

/** A loopback port that was free a moment ago, outside the ephemeral range when one can be found there. */
export async function freePort(): Promise<number> {
  const [low, high] = QUIET_PORTS;
  for (let attempt = 0; attempt < 20 && high - low > 1000; attempt++) {
    const candidate = low + Math.floor(Math.random() * (high - low + 1));
    if ((await tryListen(candidate)) !== undefined) return candidate;
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}

/** A broker listen port P with P-2 (fast channel) and P+1 (HA) free as well. */
export async function freeBrokerPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port < 1026 || port > 65534) continue;
    if ((await tryListen(port - 2)) !== undefined && (await tryListen(port + 1)) !== undefined) return port;
  }
  throw new Error('found no free port P with P-2 and P+1 free in 50 attempts');
}

// ------------------------------------------------------------------------------------------------------------------
// RocketMQ servers

export interface JavaServer {
  /** host:port */
  addr: string;
  port: number;
  process: JavaProcess;
  /** Stops the JVM (SIGTERM, then SIGKILL after 5 s) and deletes its directory. */
  stop(): Promise<void>;
  /**
   * Stops the JVM with `signal` (SIGTERM: waits up to 60 s for a clean exit; SIGKILL: at once) and starts it again
   * on the same port, config and store; `process` is then the new JVM.
   */
  restart(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

function properties(entries: Record<string, string | number | boolean>): string {
  return Object.entries(entries)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n');
}

/** Starts Apache RocketMQ's NamesrvStartup on a free loopback port, in a temporary directory. */
export async function startJavaNameServer(options: { version?: RocketMQVersion } = {}): Promise<JavaServer> {
  const version = options.version ?? '5.3.3';
  const { classpath } = await buildInterop(version);
  const dir = await mkdtemp(path.join(tmpdir(), `rmqts-namesrv-${version}-`));
  const port = await freePort();
  const config = path.join(dir, 'namesrv.properties');
  // bindAddress exists from 5.x on; 4.9.x has no setter for it and ignores the key.
  await writeFile(config, properties({ listenPort: port, bindAddress: '127.0.0.1' }));
  return startServer(dir, port, {
    name: `namesrv-${version}`,
    mainClass: 'org.apache.rocketmq.namesrv.NamesrvStartup',
    args: ['-c', config],
    classpath,
    home: dir,
    heapMb: 256,
    jvmArgs: ['-XX:MaxDirectMemorySize=256m', '-Drmq.logback.configurationFile=rmq.namesrv.logback.xml'],
    readyLine: /The Name Server boot success/,
    readyTimeoutMs: 60_000,
  });
}

export interface StartJavaBrokerOptions {
  version?: RocketMQVersion;
  namesrvAddr: string;
  brokerName?: string;
  clusterName?: string;
  /** Extra broker.conf entries (BrokerConfig, MessageStoreConfig, NettyServerConfig keys); they override ours. */
  config?: Record<string, string | number | boolean>;
  /** -Xms, -Xmx and MaxDirectMemorySize; default 512. */
  heapMb?: number;
  /**
   * Files to put under this broker's own ROCKETMQ_HOME, by path relative to it (e.g. conf/plain_acl.yml, which
   * ACL 1.0 reads there); the shared home's conf/ files (logback) are copied beside them.
   */
  rocketmqHomeFiles?: Record<string, string>;
}

/** startJavaBroker's tries when a port it picked was taken before the JVM bound it. */
const BROKER_START_ATTEMPTS = 3;

/**
 * Starts Apache RocketMQ's BrokerStartup (a master, ASYNC_FLUSH) on free loopback ports P (clients), P-2 (fast
 * channel) and P+1 (HA), with its store in a temporary directory and small commit log and index files.
 */
export async function startJavaBroker(options: StartJavaBrokerOptions): Promise<JavaServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startJavaBrokerOnce(options);
    } catch (error) {
      // freeBrokerPort checks its ports seconds before the JVM binds them; on a busy machine another process (an
      // outgoing connection's ephemeral port, often) can take one meanwhile. Other ports then, unless they were given.
      const portTaken = /java\.net\.BindException: Address already in use/.test(String(error));
      if (!portTaken || options.config?.['listenPort'] !== undefined || attempt >= BROKER_START_ATTEMPTS) throw error;
    }
  }
}

async function startJavaBrokerOnce(options: StartJavaBrokerOptions): Promise<JavaServer> {
  const version = options.version ?? '5.3.3';
  const { classpath } = await buildInterop(version);
  const dir = await mkdtemp(path.join(tmpdir(), `rmqts-broker-${version}-`));
  const port = await freeBrokerPort();
  const config = path.join(dir, 'broker.conf');
  await writeFile(
    config,
    properties({
      brokerClusterName: options.clusterName ?? 'DefaultCluster',
      brokerName: options.brokerName ?? 'broker-a',
      brokerId: 0,
      brokerRole: 'ASYNC_MASTER',
      flushDiskType: 'ASYNC_FLUSH',
      namesrvAddr: options.namesrvAddr,
      brokerIP1: '127.0.0.1',
      listenPort: port,
      bindAddress: '127.0.0.1',
      storePathRootDir: path.join(dir, 'store'),
      autoCreateTopicEnable: true,
      autoCreateSubscriptionGroup: true,
      mappedFileSizeCommitLog: 64 * 1024 * 1024,
      maxHashSlotNum: 100_000,
      maxIndexNum: 400_000,
      diskMaxUsedSpaceRatio: 95,
      waitTimeMillsInSendQueue: 1000,
      osPageCacheBusyTimeOutMills: 3000,
      ...options.config,
    }),
  );
  const heap = options.heapMb ?? 512;
  const env: Record<string, string> = {};
  if (options.rocketmqHomeFiles !== undefined) {
    const home = path.join(dir, 'rocketmq-home');
    await cp(ROCKETMQ_HOME, home, { recursive: true });
    for (const [file, content] of Object.entries(options.rocketmqHomeFiles)) {
      await mkdir(path.dirname(path.join(home, file)), { recursive: true });
      await writeFile(path.join(home, file), content);
    }
    env['ROCKETMQ_HOME'] = home;
  }
  return startServer(dir, port, {
    name: `broker-${version}`,
    env,
    mainClass: 'org.apache.rocketmq.broker.BrokerStartup',
    args: ['-c', config],
    classpath,
    home: dir,
    heapMb: heap,
    jvmArgs: [`-XX:MaxDirectMemorySize=${heap}m`, '-Drmq.logback.configurationFile=rmq.broker.logback.xml'],
    readyLine: /boot success/,
    readyTimeoutMs: 120_000,
  });
}

/** On failure the directory is kept: its logs/rocketmqlogs explain what happened, and the error names it. */
async function startServer(dir: string, port: number, options: StartJavaOptions): Promise<JavaServer> {
  const server: JavaServer = {
    addr: `127.0.0.1:${port}`,
    port,
    process: await startJava(options),
    stop: async () => {
      await server.process.stop();
      await rm(dir, { recursive: true, force: true });
    },
    restart: async (signal) => {
      if (signal === 'SIGKILL') {
        process.kill(server.process.pid, 'SIGKILL');
        await server.process.exit;
      }
      await server.process.stop(60_000); // the home is `dir`, not the JVM's own: stop() keeps it
      server.process = await startJava(options);
    },
  };
  return server;
}

/** Runs mqadmin (MQAdminStartup) with the given arguments, e.g. ['clusterList', '-n', addr]. */
export async function runMqAdmin(
  args: string[],
  options: { version?: RocketMQVersion; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { classpath } = await buildInterop(options.version ?? '5.3.3');
  return runJava({
    mainClass: 'org.apache.rocketmq.tools.command.MQAdminStartup',
    args,
    classpath,
    name: 'mqadmin',
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

/**
 * The broker.conf keys that turn ACL 2.0 on in a Java 5.3.3 broker and in ours alike: authentication and
 * authorization with Java's Local metadata providers, `root` as the initial Super user and the inner credentials.
 */
export function acl2BrokerConfig(root: { accessKey: string; secretKey: string }): Record<string, string> {
  return {
    authenticationEnabled: 'true',
    authorizationEnabled: 'true',
    authenticationMetadataProvider: 'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider',
    authorizationMetadataProvider: 'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider',
    initAuthenticationUser: JSON.stringify({ username: root.accessKey, password: root.secretKey }),
    innerClientAuthenticationCredentials: JSON.stringify({ accessKey: root.accessKey, secretKey: root.secretKey }),
  };
}
