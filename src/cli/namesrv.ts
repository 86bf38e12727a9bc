import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseJavaProperties } from '../common/java-properties.js';
import { createConsoleLogger } from '../common/logger.js';
import { applyNamesrvProperties, defaultNamesrvConfig, type NamesrvConfig } from '../namesrv/config.js';
import { NamesrvController } from '../namesrv/name-server.js';
import { waitForSignal } from './signals.js';

export const NAMESRV_USAGE = `usage: rocketmq-ts namesrv [--listen-port 9876] [--data-dir DIR] [-c namesrv.properties]

  --listen-port PORT   port to listen on (default 9876; 0 picks a free one)
  --data-dir DIR       where kvConfig.json lives (default ~/namesrv)
  -c FILE              a namesrv.properties file with Java property names (listenPort, kvConfigPath, ...)

Command-line options override the file. Stops cleanly on SIGTERM or SIGINT.`;

/** `rocketmq-ts namesrv`: runs a name server until SIGTERM/SIGINT; resolves to the process exit code. */
export async function runNamesrv(argv: string[]): Promise<number> {
  let values: { 'listen-port'?: string; 'data-dir'?: string; config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'listen-port': { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`rocketmq-ts namesrv: ${(err as Error).message}\n\n${NAMESRV_USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${NAMESRV_USAGE}\n`);
    return 0;
  }

  const logger = createConsoleLogger('namesrv');
  let config: NamesrvConfig;
  try {
    config = await buildConfig(values, (message) => logger.warn(message));
  } catch (err) {
    process.stderr.write(`rocketmq-ts namesrv: ${(err as Error).message}\n`);
    return 2;
  }

  const controller = new NamesrvController(config, { logger });
  const stop = waitForSignal();
  try {
    await controller.start();
  } catch (err) {
    logger.error('the name server failed to start', err);
    stop.cancel();
    await controller.shutdown();
    return 1;
  }
  // Java prints this line; scripts that start a name server wait for it.
  process.stdout.write(`The Name Server boot success. serializeType=JSON, address 0.0.0.0:${controller.port}\n`);
  const signal = await stop.promise;
  logger.info(`${signal} received, shutting down`);
  await controller.shutdown();
  return 0;
}

async function buildConfig(
  values: { 'listen-port'?: string; 'data-dir'?: string; config?: string },
  warn: (message: string) => void,
): Promise<NamesrvConfig> {
  let config = defaultNamesrvConfig(homedir(), process.env['ROCKETMQ_HOME'] ?? '');
  if (values.config !== undefined) {
    const text = await readFile(values.config, 'utf8');
    const applied = applyNamesrvProperties(config, parseJavaProperties(text));
    for (const key of applied.unknown) warn(`${values.config}: unknown name server config '${key}', ignored`);
    config = applied.config;
  }
  const overrides = new Map<string, string>();
  if (values['listen-port'] !== undefined) overrides.set('listenPort', values['listen-port']);
  if (values['data-dir'] !== undefined) {
    const dir = resolve(values['data-dir']);
    overrides.set('kvConfigPath', join(dir, 'kvConfig.json'));
    overrides.set('configStorePath', join(dir, 'namesrv.properties'));
  }
  return applyNamesrvProperties(config, overrides).config;
}
