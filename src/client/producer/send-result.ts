import { MQBrokerError } from '../../common/errors.js';
import { SendMessageResponseHeader } from '../../protocol/headers/broker.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { HeaderSchema } from '../../protocol/custom-header.js';

/** SendStatus.java: every one of them means the broker stored the message. */
export type SendStatus = 'SEND_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** SendResult.java. */
export interface SendResult {
  status: SendStatus;
  /** The message's UNIQ_KEY (what consumers see as msgId); for a batch, the ids of its messages joined by ','. */
  msgId: string;
  /** The broker's id of the stored message: store host and commit-log offset (first message of a batch). */
  offsetMsgId: string;
  messageQueue: MessageQueue;
  /** Offset in the consume queue (first message of a batch). */
  queueOffset: number;
  transactionId: string | undefined;
  /** MSG_REGION of the broker ("DefaultRegion" unless configured). */
  regionId: string;
  traceOn: boolean;
  /**
   * A timer message's recall handle, when the broker answers one (5.3.x and ours): what `Producer.recallMessage`
   * takes to cancel the message before its time. Opaque; absent for other messages and older brokers.
   */
  recallHandle?: string;
}

const STATUS_BY_CODE: ReadonlyMap<number, SendStatus> = new Map([
  [ResponseCode.SUCCESS, 'SEND_OK'],
  [ResponseCode.FLUSH_DISK_TIMEOUT, 'FLUSH_DISK_TIMEOUT'],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, 'FLUSH_SLAVE_TIMEOUT'],
  [ResponseCode.SLAVE_NOT_AVAILABLE, 'SLAVE_NOT_AVAILABLE'],
]);

/**
 * The response header (with 5.3.x's recallHandle) and the two properties the broker adds beside it as ext fields
 * (MessageConst's PROPERTY_MSG_REGION and PROPERTY_TRACE_SWITCH): decoded together, so the string map is never built.
 */
const SendResponseFields = { ...SendMessageResponseHeader, MSG_REGION: 'string?', TRACE_ON: 'string?' } as const satisfies HeaderSchema;

/** MQClientAPIImpl.processSendResponse: a SendResult for the four stored codes, MQBrokerError for any other. */
export function processSendResponse(brokerName: string, topic: string, msgId: string, response: RemotingCommand, addr: string): SendResult {
  const status = STATUS_BY_CODE.get(response.code);
  if (status === undefined) throw new MQBrokerError(response.code, response.remark, addr);
  const header = response.decodeCommandCustomHeader(SendResponseFields);
  const regionId = header.MSG_REGION;
  const result: SendResult = {
    status,
    msgId,
    offsetMsgId: header.msgId,
    messageQueue: { topic, brokerName, queueId: header.queueId },
    queueOffset: header.queueOffset,
    transactionId: header.transactionId,
    regionId: regionId === undefined || regionId === '' ? 'DefaultRegion' : regionId,
    traceOn: header.TRACE_ON !== 'false',
  };
  if (header.recallHandle !== undefined && header.recallHandle !== '') result.recallHandle = header.recallHandle;
  return result;
}
