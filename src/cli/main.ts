#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: rocketmq-ts <command> [options]

commands:
  namesrv        run a name server (rocketmq-ts namesrv --help)
  broker         run a broker (rocketmq-ts broker --help)
  dev            name server + broker in one process, for development (rocketmq-ts dev --help)
  send           send messages with the TypeScript producer
  consume        consume and print messages with the TypeScript push consumer
  topic          create, list, route, stats, delete
  cluster        list the brokers of every cluster
  consumer       progress (lag per queue), connections and offset reset of a consumer group
  message        get a message by id or by key, or its trace
  ha             replication status of masters and slaves (ha status)
  health         exit 0 if the name server (-n) or a broker (-b) answers as healthy, else 1 (container checks)
  user           ACL 2.0 users of a broker: create, update, delete, get, list
  acl            ACL 2.0 access policies of a broker: create, update, delete, get, list; ACL 1.0 accounts
                 (plain_acl.yml): update-config, delete-config, version, global-white, get-config
  version        print the version
  help           print this help

Client commands take -n ADDR (default $NAMESRV_ADDR, else 127.0.0.1:9876) and --json; send, consume, topic,
consumer and message take --namespace NS (Java's client namespace); each has --help. With access control on the
cluster, they sign their requests with $ROCKETMQ_ACCESS_KEY and $ROCKETMQ_SECRET_KEY (ACL 1.0 account or ACL 2.0 user).
Exit codes: 0 done, 1 failed, 2 usage error.`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
  // `rocketmq-ts namesrv --help` is the sub-command's help; only a bare flag is global. Each command's module is
  // imported when it runs: a name server does not load (and start up through) the broker's and the clients' code.
  const command = positionals[0] ?? (values.version === true ? 'version' : 'help');
  switch (command) {
    case 'namesrv':
      return (await import('./namesrv.js')).runNamesrv(argv.slice(1));
    case 'broker':
      return (await import('./broker.js')).runBroker(argv.slice(1));
    case 'dev':
      return (await import('./dev.js')).runDev(argv.slice(1));
    case 'send':
      return (await import('./send.js')).runSend(argv.slice(1));
    case 'consume':
      return (await import('./consume.js')).runConsume(argv.slice(1));
    case 'topic':
      return (await import('./topic.js')).runTopic(argv.slice(1));
    case 'cluster':
      return (await import('./cluster.js')).runCluster(argv.slice(1));
    case 'consumer':
      return (await import('./consumer.js')).runConsumer(argv.slice(1));
    case 'message':
      return (await import('./message.js')).runMessage(argv.slice(1));
    case 'ha':
      return (await import('./ha.js')).runHa(argv.slice(1));
    case 'health':
      return (await import('./health.js')).runHealth(argv.slice(1));
    case 'user':
      return (await import('./auth.js')).runUser(argv.slice(1));
    case 'acl':
      return (await import('./auth.js')).runAcl(argv.slice(1));
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

process.exitCode = await main(process.argv.slice(2));
