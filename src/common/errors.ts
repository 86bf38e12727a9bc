/**
 * Error classes of the project. Every error has a stable `code` (for programs), a `retriable` hint and, where a
 * peer is involved, the peer's address. They are created at the call site so their stacks point at the caller.
 */
export class RocketMQError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(message: string, code: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.retriable = retriable;
  }
}

/** A frame or header that cannot be decoded, or a custom header field that is missing or malformed. */
export class RemotingCommandError extends RocketMQError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'REMOTING_COMMAND', false, options);
  }
}

/** Could not open (or keep) a connection to `addr`. */
export class RemotingConnectError extends RocketMQError {
  readonly addr: string;

  constructor(addr: string, message = `connect to ${addr} failed`, options?: { cause?: unknown }) {
    super(message, 'REMOTING_CONNECT', true, options);
    this.addr = addr;
  }
}

/** The request could not be written, or the connection broke before its response arrived. */
export class RemotingSendRequestError extends RocketMQError {
  readonly addr: string;

  constructor(addr: string, message = `send request to ${addr} failed`, options?: { cause?: unknown }) {
    super(message, 'REMOTING_SEND_REQUEST', true, options);
    this.addr = addr;
  }
}

/** No response within the timeout (or no permit within the timeout for async/oneway calls). */
export class RemotingTimeoutError extends RocketMQError {
  readonly addr: string;
  readonly timeoutMillis: number;

  constructor(addr: string, timeoutMillis: number, message?: string) {
    super(message ?? `wait response on ${addr} timeout, ${timeoutMillis}ms`, 'REMOTING_TIMEOUT', true);
    this.addr = addr;
    this.timeoutMillis = timeoutMillis;
  }
}

/** Too many async or oneway requests in flight and the caller did not want to wait (timeout <= 0). */
export class RemotingTooMuchRequestError extends RocketMQError {
  constructor(message: string) {
    super(message, 'REMOTING_TOO_MUCH_REQUEST', true);
  }
}

/** The endpoint was used before start() or after shutdown(). */
export class RemotingShutdownError extends RocketMQError {
  constructor(message = 'remoting endpoint is not running') {
    super(message, 'REMOTING_SHUTDOWN', false);
  }
}

/**
 * Response codes after which the Java producer tries again (DefaultMQProducer.retryResponseCodes, 5.3.3):
 * SYSTEM_ERROR, SYSTEM_BUSY, SERVICE_NOT_AVAILABLE, NO_PERMISSION, TOPIC_NOT_EXIST, NO_BUYER_ID,
 * NOT_IN_CURRENT_UNIT, GO_AWAY. Numbers, because common sits below the protocol's code tables.
 */
const RETRIABLE_RESPONSE_CODES: ReadonlySet<number> = new Set([1, 2, 14, 16, 17, 204, 205, 1500]);

/**
 * MQBrokerException: a broker or name server answered with a code other than SUCCESS. The message is Java's,
 * "CODE: 2  DESC: remark BROKER: addr", without the FAQ link.
 */
export class MQBrokerError extends RocketMQError {
  readonly responseCode: number;
  readonly remark: string | undefined;
  readonly addr: string | undefined;

  constructor(responseCode: number, remark: string | undefined, addr?: string) {
    const where = addr === undefined ? '' : ` BROKER: ${addr}`;
    super(`CODE: ${responseCode}  DESC: ${remark ?? 'null'}${where}`, 'MQ_BROKER', RETRIABLE_RESPONSE_CODES.has(responseCode));
    this.responseCode = responseCode;
    this.remark = remark;
    this.addr = addr;
  }

  /** The same address under the name client errors use, so callers can read either kind alike. */
  get brokerAddr(): string | undefined {
    return this.addr;
  }
}

/**
 * AbortProcessException: a server step before the processor (a request pipeline such as ACL 2.0's, or an RPC hook)
 * refuses the request. It is answered with `responseCode` and `remark` as they are, not as SYSTEM_ERROR with a
 * stack frame; a oneway request gets nothing.
 */
export class AbortProcessError extends RocketMQError {
  readonly responseCode: number;
  readonly remark: string;

  constructor(responseCode: number, remark: string) {
    super(remark, 'ABORT_PROCESS', false);
    this.responseCode = responseCode;
    this.remark = remark;
  }
}

/** Java's `UtilAll.exceptionSimpleDesc`: the error and the first frame of its stack, for response remarks. */
export function exceptionSimpleDesc(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // The stack starts with "Name: message"; skip the message's lines so a message line beginning with "at " is not
  // taken for a frame.
  const messageLines = err.message.split('\n').length;
  const firstFrame = err.stack
    ?.split('\n')
    .slice(messageLines)
    .find((line) => line.trimStart().startsWith('at '));
  const desc = `${err.name}: ${err.message}`;
  // Java appends StackTraceElement.toString(), which has no "at " in front.
  return firstFrame === undefined ? desc : `${desc}, ${firstFrame.trim().slice(3)}`;
}
