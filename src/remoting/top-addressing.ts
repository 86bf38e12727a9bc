import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { silentLogger, type Logger } from '../common/logger.js';
import { CURRENT_VERSION, mqVersionDesc } from '../protocol/language-code.js';

/** MixAll.DEFAULT_NAMESRV_ADDR_LOOKUP: the address server of Alibaba's internal environment. */
export const DEFAULT_NAMESRV_ADDR_LOOKUP = 'jmenv.tbsite.net';

/** An address list is a few host:port pairs; anything much larger is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * MixAll.getWSAddr(): `http://<domain>:8080/rocketmq/<subgroup>`, or without the :8080 when the domain already
 * names a port. Java takes both from the system properties rocketmq.namesrv.domain and
 * rocketmq.namesrv.domain.subgroup.
 */
export function wsAddr(domain = DEFAULT_NAMESRV_ADDR_LOOKUP, subgroup = 'nsaddr'): string {
  return domain.indexOf(':') > 0 ? `http://${domain}/rocketmq/${subgroup}` : `http://${domain}:8080/rocketmq/${subgroup}`;
}

export interface TopAddressingOptions {
  /** The address server's URL; default wsAddr(). */
  wsAddr?: string;
  /** A unit (cell) name: the lookup goes to `<wsAddr>-<unitName>?nofix=1`. */
  unitName?: string;
  /** Query parameters, appended in order. */
  para?: ReadonlyMap<string, string>;
  /** Connect plus read timeout (Java: 3000 ms each). */
  timeoutMillis?: number;
  logger?: Logger;
}

/**
 * DefaultTopAddressing: asks an HTTP address server for the name-server list, answered as text
 * "host:port;host:port". Only a 200 counts; the text is trimmed and cut at its first line break.
 */
export class TopAddressing {
  private readonly url: string;
  private readonly timeoutMillis: number;
  private readonly logger: Logger;

  constructor(options: TopAddressingOptions = {}) {
    this.url = lookupUrl(options.wsAddr ?? wsAddr(), options.unitName, options.para);
    this.timeoutMillis = options.timeoutMillis ?? 3000;
    this.logger = options.logger ?? silentLogger;
  }

  /** The URL asked, with the unit and parameters applied. */
  get lookupUrl(): string {
    return this.url;
  }

  /** The list as the server wrote it, or undefined when it could not be had (the reason is logged). */
  async fetchNSAddr(): Promise<string | undefined> {
    try {
      const { status, text } = await this.httpGet();
      if (status === 200) return clearNewLine(text);
      this.logger.error(`fetch name server address failed. statusCode=${status}`);
    } catch (err) {
      this.logger.error(`fetch name server address from ${this.url} failed: ${(err as Error).message}`);
    }
    return undefined;
  }

  private httpGet(): Promise<{ status: number; text: string }> {
    const url = new URL(this.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, answer?: { status: number; text: string }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (answer === undefined) reject(err ?? new Error('no answer'));
        else resolve(answer);
      };
      const req = request(url, {
        method: 'GET',
        headers: {
          // HttpTinyClient's headers, which address servers may log or route on.
          'Client-Version': mqVersionDesc(CURRENT_VERSION),
          'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
          'Metaq-Client-RequestTS': String(Date.now()),
        },
      });
      const timer = setTimeout(() => {
        finish(new Error(`no answer within ${this.timeoutMillis}ms`));
        req.destroy();
      }, this.timeoutMillis);
      // `on`, not `once`: a destroyed request may report more than one error, and each needs a listener.
      req.on('error', (err) => finish(err));
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('error', (err) => finish(err));
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) return void chunks.push(chunk);
          finish(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          req.destroy();
        });
        res.once('end', () => finish(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end();
    });
  }
}

function lookupUrl(base: string, unitName: string | undefined, para: ReadonlyMap<string, string> | undefined): string {
  const unit = unitName !== undefined && unitName.trim() !== '' ? `-${unitName}` : '';
  // Java appends the parameters unencoded; so do we, so that an address server sees the same URL.
  const query = para === undefined ? [] : [...para].map(([key, value]) => `${key}=${value}`);
  if (unit !== '') query.unshift('nofix=1');
  return query.length === 0 ? base : `${base}${unit}?${query.join('&')}`;
}

/** DefaultTopAddressing.clearNewLine: trim, then keep what comes before the first CR (or LF). */
function clearNewLine(text: string): string {
  const trimmed = text.trim();
  const cr = trimmed.indexOf('\r');
  if (cr !== -1) return trimmed.slice(0, cr);
  const lf = trimmed.indexOf('\n');
  return lf === -1 ? trimmed : trimmed.slice(0, lf);
}

