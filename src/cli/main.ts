#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: rocketmq-ts <command> [options]

commands:
  version        print the version
  help           print this help

Coming with the next issues: namesrv, broker, dev (name server + broker in one process), send, consume, topic.`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function main(argv: string[]): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
  const command = values.version === true ? 'version' : values.help === true ? 'help' : (positionals[0] ?? 'help');
  switch (command) {
    case 'version':
      process.stdout.write(`rocketmq-ts ${packageVersion()}\n`);
      return 0;
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`rocketmq-ts: unknown or not yet implemented command '${command}'\n\n${USAGE}\n`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
