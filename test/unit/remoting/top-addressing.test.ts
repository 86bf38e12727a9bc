/** The address-server lookup, against a local node:http server (never the default jmenv.tbsite.net). */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BrokerOuterAPI } from '../../../src/broker/out/index.js';
import { TopAddressing, wsAddr } from '../../../src/remoting/top-addressing.js';
import type { Logger } from '../../../src/common/logger.js';
import { waitFor } from '../../helpers/wait.js';

interface Answer {
  status: number;
  body: string;
  /** Never answer (to test the timeout). */
  hang?: boolean;
}

describe('TopAddressing', () => {
  let server: Server;
  let base: string;
  let answer: Answer;
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if (answer.hang === true) return;
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rocketmq/nsaddr`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
    answer = { status: 200, body: '127.0.0.1:9876;127.0.0.1:9877' };
  });

  function errorLog(): { logger: Logger; errors: string[] } {
    const errors: string[] = [];
    const ignore = (): void => undefined;
    return { logger: { debug: ignore, info: ignore, warn: ignore, error: (m: string) => void errors.push(m) }, errors };
  }

  it('builds the Java URLs: default domain and port, a domain with a port, unit and parameters', () => {
    assert.equal(wsAddr(), 'http://jmenv.tbsite.net:8080/rocketmq/nsaddr');
    assert.equal(wsAddr('addr.example:80', 'ns'), 'http://addr.example:80/rocketmq/ns');
    assert.equal(new TopAddressing().lookupUrl, 'http://jmenv.tbsite.net:8080/rocketmq/nsaddr');
    assert.equal(new TopAddressing({ wsAddr: 'http://h/x', unitName: 'unit1' }).lookupUrl, 'http://h/x-unit1?nofix=1');
    const para = new Map([
      ['env', 'test'],
      ['zone', 'a'],
    ]);
    assert.equal(new TopAddressing({ wsAddr: 'http://h/x', para }).lookupUrl, 'http://h/x?env=test&zone=a');
    assert.equal(new TopAddressing({ wsAddr: 'http://h/x', unitName: 'u', para }).lookupUrl, 'http://h/x-u?nofix=1&env=test&zone=a');
  });

  it('returns the first line, trimmed, and sends the HttpTinyClient headers', async () => {
    answer = { status: 200, body: '  10.0.0.1:9876;10.0.0.2:9876\r\nignored\n' };
    assert.equal(await new TopAddressing({ wsAddr: base }).fetchNSAddr(), '10.0.0.1:9876;10.0.0.2:9876');
    // Java trims before cutting at the line break, so a blank before it stays (the client trims each address).
    answer = { status: 200, body: '10.0.0.1:9876 \nignored' };
    assert.equal(await new TopAddressing({ wsAddr: base }).fetchNSAddr(), '10.0.0.1:9876 ');
    assert.equal(seen[0]?.url, '/rocketmq/nsaddr');
    assert.equal(seen[0]?.headers['client-version'], 'V5_3_3');
    assert.match(String(seen[0]?.headers['metaq-client-requestts']), /^\d+$/);
  });

  it('logs and returns undefined on a non-200, a refused connection, or a timeout', async () => {
    const log = errorLog();
    answer = { status: 404, body: 'not here' };
    assert.equal(await new TopAddressing({ wsAddr: base, logger: log.logger }).fetchNSAddr(), undefined);
    assert.match(log.errors[0] ?? '', /statusCode=404/);
    assert.equal(await new TopAddressing({ wsAddr: 'http://127.0.0.1:1/x', logger: log.logger }).fetchNSAddr(), undefined);
    answer = { status: 200, body: '', hang: true };
    const started = Date.now();
    assert.equal(await new TopAddressing({ wsAddr: base, timeoutMillis: 200, logger: log.logger }).fetchNSAddr(), undefined);
    assert.ok(Date.now() - started < 2000);
    assert.equal(log.errors.length, 3);
    assert.match(log.errors[2] ?? '', /200ms/);
  });

  it('BrokerOuterAPI.fetchNameServerAddr updates the list when it changed, and only then', async () => {
    const api = new BrokerOuterAPI({ topAddressing: { wsAddr: base } });
    await api.start();
    try {
      assert.equal(await api.fetchNameServerAddr(), '127.0.0.1:9876;127.0.0.1:9877');
      assert.deepEqual(api.getNameServerAddressList().sort(), ['127.0.0.1:9876', '127.0.0.1:9877']);
      // Unchanged text: the list is left alone (a local change survives).
      api.updateNameServerAddressList('127.0.0.1:1111');
      assert.equal(await api.fetchNameServerAddr(), '127.0.0.1:9876;127.0.0.1:9877');
      assert.deepEqual(api.getNameServerAddressList(), ['127.0.0.1:1111']);
      answer = { status: 200, body: '127.0.0.1:9878' };
      assert.equal(await api.fetchNameServerAddr(), '127.0.0.1:9878');
      assert.deepEqual(api.getNameServerAddressList(), ['127.0.0.1:9878']);
      // A failed or blank lookup keeps the last list.
      answer = { status: 500, body: 'oops' };
      assert.equal(await api.fetchNameServerAddr(), '127.0.0.1:9878');
      answer = { status: 200, body: '   ' };
      assert.equal(await api.fetchNameServerAddr(), '127.0.0.1:9878');
      assert.deepEqual(api.getNameServerAddressList(), ['127.0.0.1:9878']);
    } finally {
      await api.shutdown();
    }
  });

  it('a garbage answer is logged by the task, never thrown', async () => {
    const log = errorLog();
    answer = { status: 200, body: 'not an address' };
    const api = new BrokerOuterAPI({ topAddressing: { wsAddr: base }, logger: log.logger });
    await api.start();
    try {
      assert.equal(await api.fetchNameServerAddr(), undefined);
      assert.equal(log.errors.length, 1);
    } finally {
      await api.shutdown();
    }
  });

  it('the periodic task re-reads the address server until stopped', async () => {
    const api = new BrokerOuterAPI({ topAddressing: { wsAddr: base } });
    await api.start();
    try {
      api.startFetchNameServerAddrTask({ initialDelayMillis: 10, periodMillis: 30 });
      await waitFor(() => seen.length >= 3, 3000, 'three lookups');
      assert.deepEqual(api.getNameServerAddressList().sort(), ['127.0.0.1:9876', '127.0.0.1:9877']);
      answer = { status: 200, body: '127.0.0.1:9999' };
      await waitFor(() => api.getNameServerAddressList()[0] === '127.0.0.1:9999', 3000, 'the new list');
    } finally {
      await api.shutdown();
    }
    const count = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(seen.length <= count + 1, 'no lookups after shutdown (one may have been in flight)');
  });
});
