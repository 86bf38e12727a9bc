import { MessageConst, MessageExt, MessageExtBrokerInner, MessageSysFlag, type HostAddress } from '../../protocol/message/index.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import { TopicValidator } from '../topic/topic-validator.js';

/** TransactionalMessageUtil.REMOVE_TAG: the tag of op records ("these half offsets are finished"). */
export const REMOVE_TAG = 'd';
/** The op body's separator: 5.x batches offsets as "17,18,21,"; 4.9 wrote one bare offset ("17"). */
export const OFFSET_SEPARATOR = ',';
/** MixAll.CID_SYS_RMQ_TRANS: the group whose offsets on the half and op queues record the check's progress. */
export const TRANSACTION_CONSUMER_GROUP = 'CID_RMQ_SYS_TRANS';
export const HALF_TOPIC = TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC;
export const OP_TOPIC = TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC;
export const CHECK_MAX_TIME_TOPIC = TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC;

/**
 * SendMessageProcessor's rule: a send is a half message when TRAN_MSG is true, except a consumer's retry copy of a
 * committed transactional message (which keeps TRAN_MSG=true) that clients before 4.6.1 resend with a delay level.
 */
export function isHalfMessageSend(properties: ReadonlyMap<string, string>, reconsumeTimes: number): boolean {
  if ((properties.get(MessageConst.PROPERTY_TRANSACTION_PREPARED) ?? '').toLowerCase() !== 'true') return false;
  const delayLevel = Number(properties.get(MessageConst.PROPERTY_DELAY_TIME_LEVEL) ?? '0');
  return !(reconsumeTimes > 0 && delayLevel > 0);
}

/**
 * TransactionalMessageBridge.parseHalfMessageInner: the message moves to queue 0 of the half topic, its real
 * topic and queue kept in REAL_TOPIC / REAL_QID and its UNIQ_KEY in __transactionId__ (5.x), with the transaction
 * bits cleared so that the half topic's consume queue indexes it.
 */
export function toHalfMessage(msg: MessageExtBrokerInner): MessageExtBrokerInner {
  const uniqKey = msg.uniqKey;
  if (uniqKey !== undefined && uniqKey !== '') msg.properties.set(MessageConst.PROPERTY_TRANSACTION_ID, uniqKey);
  msg.properties.set(MessageConst.PROPERTY_REAL_TOPIC, msg.topic);
  msg.properties.set(MessageConst.PROPERTY_REAL_QUEUE_ID, String(msg.queueId));
  msg.sysFlag = resetTransactionValue(msg.sysFlag, MessageSysFlag.TRANSACTION_NOT_TYPE);
  msg.topic = HALF_TOPIC;
  msg.queueId = 0;
  return msg;
}

/**
 * EndTransactionProcessor.endMessageTransaction: the committed message, back in its real topic and queue, with
 * the COMMIT transaction type and the half record's offset as its prepared-transaction offset. Its properties are
 * the half message's as stored, REAL_TOPIC, REAL_QID, TRAN_MSG and WAIT included: Java computes the stored string
 * before it removes them, so consumers see them (reference finding 4), and its setWaitStoreMsgOK(false) goes to a
 * map that the half's then replaces. The string is re-used as read, and the body's CRC with it.
 */
export function toCommittedMessage(half: MessageExt): MessageExtBrokerInner {
  const msg = new MessageExtBrokerInner();
  copyRecordFields(half, msg);
  msg.setPropertiesString(half.storedProperties());
  msg.knownBodyCRC = half.bodyCRC;
  msg.topic = half.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? '';
  msg.queueId = Number(half.getProperty(MessageConst.PROPERTY_REAL_QUEUE_ID) ?? '0');
  msg.sysFlag = resetTransactionValue(half.sysFlag, MessageSysFlag.TRANSACTION_COMMIT_TYPE);
  msg.preparedTransactionOffset = half.commitLogOffset;
  return msg;
}

/**
 * TransactionalMessageBridge.renewHalfMessageInner: a fresh copy of a half message for the end of the half queue,
 * which the check then asks the producer about (the design never rewrites a record in place). It does not wait
 * for a flush.
 */
export function renewHalfMessage(half: MessageExt, properties: Map<string, string>): MessageExtBrokerInner {
  const msg = new MessageExtBrokerInner();
  copyRecordFields(half, msg);
  msg.properties = properties;
  msg.properties.set(MessageConst.PROPERTY_WAIT_STORE_MSG_OK, 'false');
  msg.topic = half.topic;
  msg.queueId = half.queueId;
  msg.sysFlag = half.sysFlag;
  return msg;
}

/** The stored message's body, flag, birth, hosts and reconsume count, into a new record. */
function copyRecordFields(stored: MessageExt, msg: MessageExtBrokerInner): void {
  msg.body = stored.body;
  msg.flag = stored.flag;
  msg.bornTimestamp = stored.bornTimestamp;
  msg.bornHost = stored.bornHost;
  msg.storeHost = stored.storeHost;
  msg.reconsumeTimes = stored.reconsumeTimes;
}

/** An op record for queue `queueId` of the op topic, written by the broker itself. */
export function makeOpMessage(queueId: number, body: string, host: HostAddress, uniqKey: string, now: number): MessageExtBrokerInner {
  const msg = new MessageExtBrokerInner();
  msg.topic = OP_TOPIC;
  msg.queueId = queueId;
  msg.body = Buffer.from(body, 'utf8');
  msg.properties = new Map([
    [MessageConst.PROPERTY_TAGS, REMOVE_TAG],
    [MessageConst.PROPERTY_WAIT_STORE_MSG_OK, 'false'],
    [MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniqKey],
  ]);
  msg.bornTimestamp = now;
  msg.bornHost = host;
  msg.storeHost = host;
  return msg;
}

/** The half-queue offsets an op body names: "17" (4.9) or "17,18,21," (5.x); anything unparsable is skipped. */
export function parseOpBody(body: Buffer): number[] {
  const offsets: number[] = [];
  for (const part of body.toString('utf8').split(OFFSET_SEPARATOR)) {
    const text = part.trim();
    if (/^\d{1,16}$/.test(text)) offsets.push(Number(text));
  }
  return offsets;
}

/** An op record: its offset in the op queue and the half offsets it names finished. */
export interface OpRecord {
  queueOffset: number;
  halfOffsets: number[];
}

/** The op records of op queue 0 from `from` to its end, in order. */
export function readOpRecords(store: Pick<BrokerMessageStore, 'iterateConsumeQueue' | 'lookMessageByOffset' | 'getMaxOffsetInQueue'>, from: number): OpRecord[] {
  const ops: OpRecord[] = [];
  const max = store.getMaxOffsetInQueue(OP_TOPIC, 0);
  for (let offset = Math.max(0, from); offset < max; ) {
    const units = store.iterateConsumeQueue(OP_TOPIC, 0, offset, 256);
    if (units.length === 0) break;
    for (const unit of units) {
      const op = store.lookMessageByOffset(unit.pos);
      ops.push({ queueOffset: unit.queueOffset, halfOffsets: op === null ? [] : parseOpBody(op.body) });
      offset = unit.queueOffset + 1;
    }
  }
  return ops;
}

/**
 * TransactionalMessageUtil.getImmunityTime: how long after its birth a half message is left alone, in ms: the
 * producer's CHECK_IMMUNITY_TIME_IN_SECONDS, never less than transactionTimeOut.
 */
export function immunityMillis(checkImmunitySeconds: string | undefined, transactionTimeOut: number): number {
  const seconds = checkImmunitySeconds === undefined ? NaN : Number(checkImmunitySeconds);
  const millis = Number.isFinite(seconds) ? seconds * 1000 : 0;
  return Math.max(millis, transactionTimeOut);
}

/** MessageSysFlag.resetTransactionValue. */
export function resetTransactionValue(sysFlag: number, type: number): number {
  return (sysFlag & ~MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) | type;
}
