import { BoundedExecutor } from '../../common/executor.js';
import { MessageConst } from '../../protocol/message/message-const.js';
import { decodeMessageId } from '../../protocol/message/message-id.js';
import type { MessageExt } from '../../protocol/message/message.js';
import { MessageSysFlag } from '../../protocol/message/message-sys-flag.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { MQClientError } from '../errors.js';
import { EndTransactionTraceHook, keysProperty } from '../trace/end-transaction-trace-hook.js';
import type { TransactionCheckRequest } from './mq-producer-inner.js';
import { Producer, type ProducerOptions } from './producer.js';
import type { ProducerMessage } from './producer-message.js';
import type { SendResult } from './send-result.js';

/** LocalTransactionState.java, with Java's spelling of UNKNOW (the wire and the logs say it so). */
export type LocalTransactionState = 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';

/** Friendlier names for the three states. */
export const TransactionState = {
  COMMIT: 'COMMIT_MESSAGE',
  ROLLBACK: 'ROLLBACK_MESSAGE',
  UNKNOWN: 'UNKNOW',
} as const satisfies Record<string, LocalTransactionState>;

/** The local transaction: runs once the half message is stored; a throw or any other value counts as UNKNOW. */
export type LocalTransaction = (message: ProducerMessage, transactionId: string) => LocalTransactionState | Promise<LocalTransactionState>;

/** Answers a broker's check of a half message whose transaction outcome the broker has not heard (Java's checkLocalTransaction). */
export type TransactionChecker = (message: MessageExt) => LocalTransactionState | Promise<LocalTransactionState>;

export interface TransactionProducerOptions extends ProducerOptions {
  checkLocalTransaction: TransactionChecker;
  /** Checks answered at once (Java's checkThreadPoolMaxSize, 1): a slow checker never stalls sends or heartbeats. */
  checkConcurrency?: number;
  /** Checks waiting beyond those; more are dropped (the broker asks again) (Java's checkRequestHoldMax, 2000). */
  checkRequestHoldMax?: number;
}

/** TransactionSendResult.java: the send's result and what the local transaction decided. */
export interface TransactionSendResult extends SendResult {
  localTransactionState: LocalTransactionState;
}

/** Statuses after which Java ends the transaction with ROLLBACK without running the local transaction. */
const NOT_FULLY_STORED = new Set(['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);
const END_TRANSACTION_TIMEOUT_MILLIS = 3000;
const STATE_CODE: Readonly<Record<LocalTransactionState, number>> = {
  COMMIT_MESSAGE: MessageSysFlag.TRANSACTION_COMMIT_TYPE,
  ROLLBACK_MESSAGE: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE,
  UNKNOW: MessageSysFlag.TRANSACTION_NOT_TYPE,
};

/**
 * TransactionMQProducer: `sendMessageInTransaction` stores a half message, runs the local transaction, and ends
 * the transaction on the broker that holds the message (END_TRANSACTION, oneway): COMMIT delivers it, ROLLBACK
 * drops it, UNKNOW leaves it to the broker's check, which this producer answers with `checkLocalTransaction`
 * for every half message of its group, whichever process sent it. Works with Apache RocketMQ 4.9.x (which
 * returns no transactionId: the result's is undefined) and 5.x brokers, and ours.
 */
export class TransactionProducer extends Producer {
  private readonly checker: TransactionChecker;
  private readonly checkExecutor: BoundedExecutor;
  private readonly endTransactionTraceHook: EndTransactionTraceHook | undefined;

  constructor(options: TransactionProducerOptions) {
    super(options);
    if (this.traceDispatcher !== undefined) this.endTransactionTraceHook = new EndTransactionTraceHook(this.traceDispatcher, options.group);
    if (typeof options.checkLocalTransaction !== 'function') throw new MQClientError('checkLocalTransaction is required: the broker asks it about transactions it has not heard the end of');
    this.checker = options.checkLocalTransaction;
    this.checkExecutor = new BoundedExecutor({
      maxConcurrency: positive(options.checkConcurrency, 1, 'checkConcurrency'),
      queueCapacity: positive(options.checkRequestHoldMax, 2000, 'checkRequestHoldMax'),
    });
  }

  /**
   * DefaultMQProducerImpl.sendMessageInTransaction: sends `message` as a half message (its delay level dropped,
   * as Java does), runs `localTransaction` once it is stored, and ends the transaction with the outcome. The
   * result says what was decided; a send that fails throws, and no transaction exists then.
   */
  async sendMessageInTransaction(message: ProducerMessage, localTransaction: LocalTransaction): Promise<TransactionSendResult> {
    if (typeof localTransaction !== 'function') throw new MQClientError('localTransaction is null');
    const half: ProducerMessage = {
      ...message,
      delayLevel: undefined,
      properties: { ...message.properties, [MessageConst.PROPERTY_TRANSACTION_PREPARED]: 'true', [MessageConst.PROPERTY_PRODUCER_GROUP]: this.group },
    };
    const result = await this.send(half);
    let state: LocalTransactionState = 'ROLLBACK_MESSAGE';
    let error: string | undefined;
    if (!NOT_FULLY_STORED.has(result.status)) {
      try {
        state = toState(await localTransaction(half, result.transactionId ?? result.msgId));
      } catch (err) {
        state = 'UNKNOW';
        error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
    }
    await this.endTransaction(half, result, state, error);
    return { ...result, localTransactionState: state };
  }

  /** MQProducerInner: a broker's CHECK_TRANSACTION_STATE, answered on the check executor. */
  checkTransactionState(message: MessageExt, request: TransactionCheckRequest): void {
    // ClientRemotingProcessor.checkTransactionState: the checker sees the topic without the namespace.
    message.topic = this.ns.unwrap(message.topic);
    const accepted = this.checkExecutor.execute(() => this.answerCheck(message, request));
    if (!accepted) this.logger.warn(`transaction check of ${message.uniqKey ?? '?'} dropped: ${this.checkExecutor.queuedCount} checks waiting`);
  }

  /** DefaultMQProducerImpl.endTransaction: END_TRANSACTION, oneway, to the master of the broker that stored the half. */
  private async endTransaction(message: ProducerMessage, result: SendResult, state: LocalTransactionState, error: string | undefined): Promise<void> {
    const instance = this.makeSureStateOK();
    const brokerAddr = instance.findBrokerAddressInPublish(result.messageQueue.brokerName);
    if (brokerAddr === undefined) throw new MQClientError(`The broker[${result.messageQueue.brokerName}] not exist`);
    // Java's message.getTransactionId() here is the message's UNIQ_KEY; the region is the default (a message sent has none).
    this.endTransactionTraceHook?.endTransaction({
      topic: result.messageQueue.topic,
      tags: message.tags,
      keys: keysProperty(message.keys),
      regionId: undefined,
      msgId: result.msgId,
      transactionId: result.msgId,
      brokerAddr,
      state,
      fromTransactionCheck: false,
    });
    const header = {
      producerGroup: this.group,
      tranStateTableOffset: result.queueOffset,
      commitLogOffset: decodeMessageId(result.offsetMsgId).offset,
      commitOrRollback: STATE_CODE[state],
      fromTransactionCheck: false,
      msgId: result.msgId,
      ...(result.transactionId === undefined ? {} : { transactionId: result.transactionId }),
      topic: result.messageQueue.topic,
      bname: result.messageQueue.brokerName,
    };
    const request = RemotingCommand.createRequestCommand(RequestCode.END_TRANSACTION, header);
    request.remark = error;
    try {
      await instance.remotingClient.invokeOneway(brokerAddr, request, END_TRANSACTION_TIMEOUT_MILLIS);
    } catch (err) {
      // As Java: the broker's check will ask again.
      this.logger.warn(`local transaction ${result.msgId} ended ${state}, but sending END_TRANSACTION to ${brokerAddr} failed`, err);
    }
    this.instrumentation.emit('transaction_end', { group: this.group, msgId: result.msgId, transactionId: result.transactionId, state, fromTransactionCheck: false, brokerAddr, error });
  }

  /** ClientRemotingProcessor.checkTransactionState then DefaultMQProducerImpl's check task. */
  private async answerCheck(message: MessageExt, request: TransactionCheckRequest): Promise<void> {
    const began = Date.now();
    let state: LocalTransactionState = 'UNKNOW';
    let error: string | undefined;
    try {
      state = toState(await this.checker(message));
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.logger.warn(`checkLocalTransaction threw for ${message.uniqKey ?? '?'}`, err);
    }
    const uniqKey = message.uniqKey ?? request.msgId ?? '';
    const transactionId = request.transactionId ?? uniqKey;
    this.instrumentation.emit('transaction_check', {
      group: this.group,
      msgId: uniqKey,
      transactionId,
      topic: message.topic,
      brokerAddr: request.brokerAddr,
      checkTimes: Number(message.getProperty(MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES) ?? '0') || 0,
      state,
      durationMs: Date.now() - began,
    });
    const header = {
      producerGroup: this.group,
      tranStateTableOffset: request.tranStateTableOffset,
      commitLogOffset: request.commitLogOffset,
      commitOrRollback: STATE_CODE[state],
      fromTransactionCheck: true,
      msgId: uniqKey,
      transactionId,
      ...(request.topic === undefined ? {} : { topic: request.topic }),
      ...(request.bname === undefined ? {} : { bname: request.bname }),
    };
    const end = RemotingCommand.createRequestCommand(RequestCode.END_TRANSACTION, header);
    end.remark = error;
    this.endTransactionTraceHook?.endTransaction({
      topic: message.topic,
      tags: message.tags,
      keys: message.keys,
      regionId: message.getProperty(MessageConst.PROPERTY_MSG_REGION),
      msgId: uniqKey,
      transactionId: message.uniqKey,
      brokerAddr: request.brokerAddr,
      state,
      fromTransactionCheck: true,
    });
    const instance = this.makeSureStateOK();
    try {
      await instance.remotingClient.invokeOneway(request.brokerAddr, end, END_TRANSACTION_TIMEOUT_MILLIS);
    } catch (err) {
      this.logger.warn(`answering the transaction check of ${uniqKey} to ${request.brokerAddr} failed`, err);
    }
    this.instrumentation.emit('transaction_end', { group: this.group, msgId: uniqKey, transactionId, state, fromTransactionCheck: true, brokerAddr: request.brokerAddr, error });
  }
}

/** A null or unknown answer counts as UNKNOW, as in Java. */
function toState(value: unknown): LocalTransactionState {
  return value === 'COMMIT_MESSAGE' || value === 'ROLLBACK_MESSAGE' ? value : 'UNKNOW';
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}
