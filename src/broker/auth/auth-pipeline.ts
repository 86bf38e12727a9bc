import { AbortProcessError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { parseAddr } from '../../remoting/remoting-channel.js';
import type { RequestPipeline } from '../../remoting/request-pipeline.js';
import { AuthenticationError, AuthorizationError } from './auth-errors.js';
import type { AuthenticationEvaluator } from './authentication-evaluator.js';
import type { AuthorizationEvaluator } from './authorization-evaluator.js';

const SOURCE_IPS_MAX = 4096;

/**
 * AuthenticationPipeline + AuthorizationPipeline (BrokerController#initialRequestPipeline): authentication, then
 * authorization, before every processor. A refusal aborts the request with NO_PERMISSION (16) and Java's remark,
 * before anything is stored, created or moved. The only part of src/broker/auth/ that sees requests.
 */
export class AuthPipeline implements RequestPipeline {
  constructor(
    private readonly authentication: AuthenticationEvaluator,
    private readonly authorization: AuthorizationEvaluator,
    private readonly clusterName: () => string,
    private readonly realTopicOfHalfMessage: (commitLogOffset: number) => string | undefined,
    private readonly logger: Logger,
  ) {}

  /** Each connection's source address, parsed once; bounded like the connections (cleared when full). */
  private readonly sourceIps = new Map<string, string>();

  private sourceIpOf(remoteAddr: string): string {
    let ip = this.sourceIps.get(remoteAddr);
    if (ip === undefined) {
      if (this.sourceIps.size >= SOURCE_IPS_MAX) this.sourceIps.clear();
      ip = hostOf(remoteAddr);
      this.sourceIps.set(remoteAddr, ip);
    }
    return ip;
  }

  execute(remoteAddr: string, request: RemotingCommand): void {
    try {
      this.authentication.evaluate(request);
      this.authorization.evaluate({
        code: request.code,
        field: (key) => request.getExtField(key),
        hasExtFields: request.hasExtFields(),
        body: request.body,
        sourceIp: this.sourceIpOf(remoteAddr),
        clusterName: this.clusterName(),
        realTopicOfHalfMessage: this.realTopicOfHalfMessage,
      });
    } catch (err) {
      if (!(err instanceof AuthenticationError) && !(err instanceof AuthorizationError)) throw err;
      // Java's audit log line; never the signature or a secret.
      const kind = err instanceof AuthenticationError ? 'AUTHENTICATION' : 'AUTHORIZATION';
      this.logger.info(`[${kind}] request ${request.code} from ${remoteAddr} refused: ${err.message}`);
      throw new AbortProcessError(ResponseCode.NO_PERMISSION, err.message);
    }
  }
}

/** StringUtils.substringBeforeLast(remoteAddr, ":"), without the brackets of an IPv6 address. */
function hostOf(remoteAddr: string): string {
  try {
    return parseAddr(remoteAddr).host;
  } catch {
    return remoteAddr;
  }
}
