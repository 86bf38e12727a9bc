import { silentLogger, type Logger } from '../../common/logger.js';
import { enums } from '../../grpc/schema.js';
import type { MsgInit, RequestOf, ResponseOf } from '../../grpc/types.js';
import type { PopEngine } from '../pop/pop-engine.js';
import type { GrpcConsumerConfig } from './consumer-config.js';
import { GrpcStatusError, OK, resourceName, status, statusOfError, statusOfRemoting, type Status } from './grpc-status.js';
import { buildReceiptHandle, isExpired, parseReceiptHandle, type GrpcReceiptHandle } from './receipt-handle.js';
import type { ReceiptHandleManager } from './receipt-handle-manager.js';
import { validateInvisibleTime, validateTopicAndGroup } from './receive-message-activity.js';

const Code = enums.Code;

export interface AckMessageDeps {
  engine: Pick<PopEngine, 'ack' | 'changeInvisibleTime'>;
  renewals: ReceiptHandleManager;
  /** CONSUMER_SEND_MSG_BACK with delay level −1: the message at `commitLogOffset` into %DLQ%<group> (remoting code and remark). */
  sendToDLQ: (request: { group: string; commitLogOffset: number; originMessageId: string; originTopic: string }) => Promise<{ code: number; remark?: string | undefined }>;
  config: () => GrpcConsumerConfig;
  now?: () => number;
  logger?: Logger;
}

/**
 * AckMessageActivity, ChangeInvisibleDurationActivity and ForwardMessageToDLQActivity of the proxy over the POP
 * engine. A handle the server still renews for the client (auto_renew) is swapped for the latest one first; an
 * expired handle is INVALID_RECEIPT_HANDLE "receipt handle is expired", a malformed one INVALID_RECEIPT_HANDLE too
 * (the proxy answers 50001). Acking a handle whose message is no longer pending (acked, or replaced by a change of
 * its invisible time) is a silent OK, as in Java.
 */
export class AckMessageActivity {
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(private readonly deps: AckMessageDeps) {
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger ?? silentLogger;
  }

  async ackMessage(request: RequestOf<'AckMessage'>, clientId: string): Promise<ResponseOf<'AckMessage'>> {
    const topic = resourceName(request.topic);
    const group = resourceName(request.group);
    validateTopicAndGroup(topic, group);
    // All at once: entries of one pop then share one ack record (PopEngine.ack), not one write each in a row.
    const entries: MsgInit<'AckMessageResultEntry'>[] = await Promise.all(
      request.entries.map(async (entry) => ({ messageId: entry.messageId, receiptHandle: entry.receiptHandle, status: await this.ackOne(clientId, group, topic, entry.messageId, entry.receiptHandle) })),
    );
    return { status: commonStatus(entries.map((e) => e.status as Status)), entries };
  }

  async changeInvisibleDuration(request: RequestOf<'ChangeInvisibleDuration'>, clientId: string): Promise<ResponseOf<'ChangeInvisibleDuration'>> {
    const topic = resourceName(request.topic);
    const group = resourceName(request.group);
    validateTopicAndGroup(topic, group);
    // 0 is allowed: "visible now", the push consumers' nack without a backoff.
    const invisibleTime = request.invisibleDuration ?? 0;
    validateInvisibleTime(invisibleTime, 0, this.deps.config().maxInvisibleTimeMillis);
    const handle = this.current(clientId, group, request.messageId, request.receiptHandle);
    const changed = await this.deps.engine.changeInvisibleTime({ group, topic, receiptHandle: handle.popHandle, invisibleTime });
    if (changed === undefined) throw new GrpcStatusError(Code.INVALID_RECEIPT_HANDLE, 'receipt handle is expired: the message is no longer in flight (acked, or visible again)');
    return { status: OK, receiptHandle: buildReceiptHandle(changed.receiptHandle, handle.commitLogOffset) };
  }

  /** ForwardMessageToDLQActivity: the message to %DLQ%<group> as CONSUMER_SEND_MSG_BACK with delay level −1 does, then acked. */
  async forwardToDeadLetterQueue(request: RequestOf<'ForwardMessageToDeadLetterQueue'>, clientId: string): Promise<ResponseOf<'ForwardMessageToDeadLetterQueue'>> {
    const topic = resourceName(request.topic);
    const group = resourceName(request.group);
    validateTopicAndGroup(topic, group);
    const handle = this.current(clientId, group, request.messageId, request.receiptHandle);
    const sent = await this.deps.sendToDLQ({ group, commitLogOffset: handle.commitLogOffset, originMessageId: request.messageId, originTopic: topic });
    const answer = statusOfRemoting(sent.code, sent.remark ?? 'OK');
    if (answer.code !== Code.OK) return { status: answer };
    await this.deps.engine.ack({ group, topic, receiptHandle: handle.popHandle });
    return { status: OK };
  }

  private async ackOne(clientId: string, group: string, topic: string, messageId: string, receiptHandle: string): Promise<Status> {
    try {
      const handle = this.current(clientId, group, messageId, receiptHandle);
      await this.deps.engine.ack({ group, topic, receiptHandle: handle.popHandle });
      return OK;
    } catch (err) {
      const answer = statusOfError(err);
      if (answer.code === Code.INTERNAL_SERVER_ERROR) this.logger.error(`gRPC AckMessage of ${messageId} (${group}) failed`, err);
      return answer;
    }
  }

  /** The handle to settle: the server's latest for an auto-renewed message (no longer renewed), else the client's; not expired. */
  private current(clientId: string, group: string, messageId: string, clientHandle: string): GrpcReceiptHandle {
    const handle = parseReceiptHandle(this.deps.renewals.remove(clientId, group, messageId) ?? clientHandle);
    if (isExpired(handle, this.now())) throw new GrpcStatusError(Code.INVALID_RECEIPT_HANDLE, 'receipt handle is expired');
    return handle;
  }
}

/** AckMessageActivity: the entries' common code, or MULTIPLE_RESULTS when they differ. */
function commonStatus(statuses: readonly Status[]): Status {
  const first = statuses[0];
  if (first === undefined) return OK;
  if (statuses.every((s) => s.code === first.code)) return first.code === Code.OK ? OK : first;
  return status(Code.MULTIPLE_RESULTS, 'ack results differ: see the entries');
}
