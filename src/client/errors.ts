import { RocketMQError } from '../common/errors.js';

/** ClientErrorCode.java: the responseCode of client-side failures that carry no broker code. */
export const ClientErrorCode = {
  CONNECT_BROKER_EXCEPTION: 10001,
  ACCESS_BROKER_TIMEOUT: 10002,
  BROKER_NOT_EXIST_EXCEPTION: 10003,
  NO_NAME_SERVER_EXCEPTION: 10004,
  NOT_FOUND_TOPIC_EXCEPTION: 10005,
  REQUEST_TIMEOUT_EXCEPTION: 10006,
  CREATE_REPLY_MESSAGE_EXCEPTION: 10007,
} as const;

export interface MQClientErrorOptions {
  /** A broker response code, a ClientErrorCode, or -1 when neither applies (Java's default). */
  responseCode?: number;
  retriable?: boolean;
  brokerAddr?: string;
  cause?: unknown;
}

/**
 * MQClientException: the client refused or gave up — invalid input (before any I/O), no route, no name server,
 * or every attempt of a send failed (then `cause` is the last attempt's error and `responseCode` says why).
 */
export class MQClientError extends RocketMQError {
  readonly responseCode: number;
  readonly brokerAddr: string | undefined;

  constructor(message: string, options: MQClientErrorOptions = {}) {
    super(message, 'MQ_CLIENT', options.retriable ?? false, { cause: options.cause });
    this.responseCode = options.responseCode ?? -1;
    this.brokerAddr = options.brokerAddr;
  }
}

/**
 * RequestTimeoutException: no reply came within a request's timeout (Producer.request). `responseCode` is
 * ClientErrorCode.REQUEST_TIMEOUT_EXCEPTION (10006) and the message Java's, "request timeout, no reply message.";
 * `correlationId` names the request. An MQClientError, so code that catches those catches it too.
 */
export class RequestTimeoutError extends MQClientError {
  readonly correlationId: string;
  readonly timeoutMillis: number;

  constructor(correlationId: string, timeoutMillis: number) {
    super('request timeout, no reply message.', { responseCode: ClientErrorCode.REQUEST_TIMEOUT_EXCEPTION });
    this.correlationId = correlationId;
    this.timeoutMillis = timeoutMillis;
  }
}
