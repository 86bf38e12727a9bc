import { silentLogger, type Logger } from '../../common/logger.js';
import { enums } from '../../grpc/schema.js';
import type { MsgInit, RequestOf } from '../../grpc/types.js';
import type { CallContext, ResponseStream } from '../../grpc/transport/handler.js';
import type { MessageFilter } from '../../store/message-store.js';
import { MAX_POP_MSG_NUMS, ConsumeInitMode, type PopEngine, type PoppedMessage } from '../pop/pop-engine.js';
import { GROUP_MAX_LENGTH, isTopicOrGroupIllegal, validateTopic } from '../topic/topic-validator.js';
import type { GrpcConsumerConfig } from './consumer-config.js';
import { GrpcStatusError, OK, resourceName, status, statusOfError, type Status } from './grpc-status.js';
import { toProtoMessage } from './message-converter.js';
import { buildReceiptHandle } from './receipt-handle.js';
import type { ReceiptHandleManager } from './receipt-handle-manager.js';

const Code = enums.Code;

/** Java's ILLEGAL_POLLING_TIME_INTRODUCED_CLIENT_VERSION: older clients get BAD_REQUEST instead (a string comparison). */
const ILLEGAL_POLLING_TIME_INTRODUCED_CLIENT_VERSION = '5.0.3';

export interface ReceiveMessageDeps {
  /** The client's Settings merged with the server's (FIFO flag, backoff policy); undefined before any Settings. */
  settingsOf: (clientId: string) => MsgInit<'Settings'> | undefined;
  engine: Pick<PopEngine, 'pop' | 'changeInvisibleTime'>;
  /** The broker's refusal to pop `topic` for `group` (topic and group existing, readable, enabled), as a status. */
  checkTarget: (group: string, topic: string, peer: string) => Status | undefined;
  /** The TAG or SQL92 filter; throws GrpcStatusError ILLEGAL_FILTER_EXPRESSION when it does not compile. */
  resolveFilter: (group: string, topic: string, type: 'TAG' | 'SQL92', expression: string) => MessageFilter;
  renewals: ReceiptHandleManager;
  config: () => GrpcConsumerConfig;
  now?: () => number;
  logger?: Logger;
}

/**
 * ReceiveMessageActivity.java with ReceiveMessageResponseStreamWriter over the POP engine: a pop of every queue of
 * the topic (queueId −1, the server spreads the load, whatever queue the client names) with the group's FIFO flag
 * and the Settings' max attempts (non-FIFO messages past them go to the DLQ at receive time, in the engine). The
 * stream is `{status}`, the messages, `{delivery_timestamp}`. Messages popped for a client that is gone are made
 * visible again at once, so nobody waits out their invisible time for them.
 */
export class ReceiveMessageActivity {
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(private readonly deps: ReceiveMessageDeps) {
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger ?? silentLogger;
  }

  async receiveMessage(request: RequestOf<'ReceiveMessage'>, clientId: string, context: CallContext, stream: ResponseStream<'ReceiveMessage'>): Promise<void> {
    const finish = (answer: Status): void => {
      stream.write({ status: answer });
      stream.write({ deliveryTimestamp: this.now() });
    };
    let pop: Parameters<ReceiveMessageDeps['engine']['pop']>[0];
    try {
      pop = this.popRequest(request, clientId, context, stream);
    } catch (err) {
      finish(statusOfError(err));
      return;
    }
    let messages: readonly PoppedMessage[];
    try {
      const result = await this.deps.engine.pop(pop);
      if (result.status !== 'FOUND') return finish(result.status === 'POLLING_FULL' ? status(Code.TOO_MANY_REQUESTS, 'polling full') : status(Code.MESSAGE_NOT_FOUND, 'no new message'));
      messages = result.messages;
    } catch (err) {
      const answer = statusOfError(err);
      if (answer.code === Code.INTERNAL_SERVER_ERROR) this.logger.error(`gRPC ReceiveMessage of ${pop.topic} for ${pop.group} (${clientId}) failed`, err);
      return finish(answer);
    }
    if (messages.length === 0) return finish(status(Code.MESSAGE_NOT_FOUND, 'no match message'));
    if (stream.cancelled) {
      await this.giveBack(pop.group, pop.topic, messages);
      return;
    }
    stream.write({ status: OK });
    for (const [index, popped] of messages.entries()) {
      if (stream.cancelled) {
        // The client is gone mid-stream: what it did not get is visible again in a moment.
        await this.giveBack(pop.group, pop.topic, messages.slice(index));
        return;
      }
      const receiptHandle = buildReceiptHandle(popped.receiptHandle, popped.message.commitLogOffset);
      if (request.autoRenew) {
        this.deps.renewals.add(clientId, {
          group: pop.group,
          topic: pop.topic,
          messageId: popped.message.uniqKey ?? popped.message.msgId,
          receiptHandle,
          reconsumeTimes: popped.reconsumeTimes,
        });
      }
      stream.write({ message: toProtoMessage(popped.message, { receiptHandle, deliveryAttempt: popped.reconsumeTimes + 1 }) });
    }
    stream.write({ deliveryTimestamp: this.now() });
  }

  /** The checks of ReceiveMessageActivity, in its order, and the pop they lead to. */
  private popRequest(request: RequestOf<'ReceiveMessage'>, clientId: string, context: CallContext, stream: ResponseStream<'ReceiveMessage'>) {
    const settings = this.deps.settingsOf(clientId);
    if (settings === undefined) throw new GrpcStatusError(Code.UNRECOGNIZED_CLIENT_TYPE, 'cannot find client settings for this client: send Settings on Telemetry first');
    const config = this.deps.config();
    const pollTime = this.pollingTime(request, settings, context, config);
    const topic = resourceName(request.messageQueue?.topic);
    const group = resourceName(request.group);
    validateTopicAndGroup(topic, group);
    let invisibleTime = request.invisibleDuration ?? 0;
    if (request.autoRenew) invisibleTime = config.defaultInvisibleTimeMillis;
    else validateInvisibleTime(invisibleTime, config.minInvisibleTimeMillisForRecv, config.maxInvisibleTimeMillis);
    const expression = request.filterExpression;
    const filterType = expression?.type === enums.FilterType.SQL ? 'SQL92' : 'TAG';
    const filter = this.deps.resolveFilter(group, topic, filterType, expression?.expression ?? '*');
    const refused = this.deps.checkTarget(group, topic, context.peer);
    if (refused !== undefined) throw new GrpcStatusError(refused.code, refused.message);
    const maxAttempts = settings.backoffPolicy?.maxAttempts;
    return {
      group,
      topic,
      queueId: -1,
      maxMsgNums: Math.max(1, Math.min(request.batchSize, MAX_POP_MSG_NUMS)),
      invisibleTime,
      pollTime,
      order: settings.subscription?.fifo === true,
      ...(request.attemptId === undefined ? {} : { attemptId: request.attemptId }),
      initMode: ConsumeInitMode.MAX,
      filter,
      ...(maxAttempts === undefined || maxAttempts <= 0 ? {} : { maxAttempts }),
      isActive: () => !stream.cancelled,
      signal: cancelSignal(stream),
    };
  }

  /**
   * The long-polling time: the request's, else what the deadline leaves after half the request timeout; within
   * [min, max], and never past the deadline (the client would have given up). Too little time left for the minimum
   * poll is ILLEGAL_POLLING_TIME (BAD_REQUEST for clients older than 5.0.3, as the proxy).
   */
  private pollingTime(request: RequestOf<'ReceiveMessage'>, settings: MsgInit<'Settings'>, context: CallContext, config: GrpcConsumerConfig): number {
    const remaining = context.deadline - this.now();
    let pollingTime = request.longPollingTimeout ?? remaining - (settings.requestTimeout ?? 0) / 2;
    pollingTime = Math.min(Math.max(pollingTime, config.minLongPollingTimeoutMillis), config.maxLongPollingTimeoutMillis);
    if (pollingTime <= remaining) return pollingTime;
    if (remaining >= config.minLongPollingTimeoutMillis) return remaining;
    const version = context.metadata.get('x-mq-client-version');
    const code = version === undefined || version < ILLEGAL_POLLING_TIME_INTRODUCED_CLIENT_VERSION ? Code.BAD_REQUEST : Code.ILLEGAL_POLLING_TIME;
    throw new GrpcStatusError(
      code,
      `The deadline time remaining is not enough for polling, please check network condition: ${Math.max(0, Math.floor(remaining))} ms left, the minimum polling time is ${config.minLongPollingTimeoutMillis} ms`,
    );
  }

  /** Messages nobody will receive: visible again after invisibleTimeMillisWhenClear (the proxy's 1 s). */
  private async giveBack(group: string, topic: string, messages: readonly PoppedMessage[]): Promise<void> {
    const invisibleTime = this.deps.config().invisibleTimeMillisWhenClear;
    for (const popped of messages) {
      await this.deps.engine.changeInvisibleTime({ group, topic, receiptHandle: popped.receiptHandle, invisibleTime }).catch((err: unknown) => {
        this.logger.warn(`gRPC ReceiveMessage: giving back ${popped.message.msgId} of ${topic} for ${group} failed: ${String(err)}`);
      });
    }
  }
}

/** Aborted when the client cancels the receive: its parked long poll is dropped at once, not at the next wake-up. */
function cancelSignal(stream: ResponseStream<'ReceiveMessage'>): AbortSignal {
  const controller = new AbortController();
  stream.onCancel(() => controller.abort());
  return controller.signal;
}

/** GrpcValidator.validateTopicAndConsumerGroup. */
export function validateTopicAndGroup(topic: string, group: string): void {
  const invalidTopic = validateTopic(topic);
  if (invalidTopic !== undefined) throw new GrpcStatusError(Code.ILLEGAL_TOPIC, invalidTopic);
  if (group.trim() === '') throw new GrpcStatusError(Code.ILLEGAL_CONSUMER_GROUP, 'consumer group cannot be empty');
  if (isTopicOrGroupIllegal(group)) throw new GrpcStatusError(Code.ILLEGAL_CONSUMER_GROUP, `consumer group '${group}' contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  if (group.length > GROUP_MAX_LENGTH) throw new GrpcStatusError(Code.ILLEGAL_CONSUMER_GROUP, `consumer group is longer than ${GROUP_MAX_LENGTH} characters`);
}

/** GrpcValidator.validateInvisibleTime. */
export function validateInvisibleTime(invisibleTime: number, min: number, max: number): void {
  if (invisibleTime < min || invisibleTime > max) {
    throw new GrpcStatusError(Code.ILLEGAL_INVISIBLE_TIME, `the invisible time ${invisibleTime} ms is out of range [${min}, ${max}] ms`);
  }
}
