import { isStored } from '../../store/message-store.js';
import { MessageConst, MessageExtBrokerInner, parseHostAddress } from '../../protocol/message/index.js';
import { PermName } from '../../protocol/perm-name.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { BrokerConfig } from '../broker-config.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';
import { decodeRecallHandle, type PutRefusal } from './timer-message-hook.js';

/** RecallMessageProcessor.RECALL_MESSAGE_TAG: the tag of a recall marker. */
const RECALL_MESSAGE_TAG = '_RECALL_TAG_';

export interface RecallContext {
  readonly config: Readonly<BrokerConfig>;
  readonly topicConfigManager: TopicConfigManager;
  readonly messageStore: BrokerMessageStore;
  readonly brokerAddr: string;
  handlePutHooks(msg: MessageExtBrokerInner): PutRefusal | undefined;
}

export interface RecallRequest {
  topic: string;
  recallHandle: string;
  producerGroup: string | undefined;
  /** The producer's address, the marker's born host. */
  remoteAddr: string;
}

/** A remoting response code and remark, with the recalled UNIQ_KEY on success. */
export interface RecallOutcome {
  code: number;
  remark?: string;
  msgId?: string;
}

/**
 * RecallMessageProcessor.java's logic (5.3.x), whatever the transport: with recallMessageEnable, a producer cancels
 * a timer message by the handle its send returned. The handle is checked (topic, broker, a time still ahead and
 * within timerMaxDelaySec), and a marker is put through the timer path for the same slot (TIMER_DELIVER_MS the
 * handle's time, TIMER_DEL_UNIQKEY "<topic>+<UNIQ_KEY>"); when the slot fires the timer store drops the message it
 * names. Answered with the UNIQ_KEY as msgId.
 */
export async function recallMessage(broker: RecallContext, request: RecallRequest, timerMaxDelaySec: number): Promise<RecallOutcome> {
  const { config } = broker;
  if (!config.recallMessageEnable) return { code: ResponseCode.NO_PERMISSION, remark: 'recall failed, operation is forbidden' };
  if (!PermName.isWriteable(config.brokerPermission) && !config.allowRecallWhenBrokerNotWriteable) {
    return { code: ResponseCode.SERVICE_NOT_AVAILABLE, remark: 'recall failed, broker service not available' };
  }
  if (broker.topicConfigManager.selectTopicConfig(request.topic) === undefined) {
    return { code: ResponseCode.TOPIC_NOT_EXIST, remark: `recall failed, the topic[${request.topic}] not exist` };
  }
  const handle = decodeRecallHandle(request.recallHandle);
  if (handle === undefined) return { code: ResponseCode.ILLEGAL_OPERATION, remark: 'recall handle is invalid' };
  if (handle.topic !== request.topic) return { code: ResponseCode.ILLEGAL_OPERATION, remark: 'recall failed, topic not match' };
  if (handle.brokerName !== config.brokerName) return { code: ResponseCode.ILLEGAL_OPERATION, remark: 'recall failed, broker service not available' };
  const timestamp = /^-?\d+$/.test(handle.timestamp) ? Number(handle.timestamp) : -1;
  const timeLeft = timestamp - Date.now();
  if (timeLeft <= 0 || timeLeft >= timerMaxDelaySec * 1000) return { code: ResponseCode.ILLEGAL_OPERATION, remark: 'recall failed, timestamp invalid' };

  const marker = new MessageExtBrokerInner();
  marker.topic = handle.topic;
  marker.queueId = 0;
  marker.body = Buffer.from('0');
  marker.properties = new Map([
    [MessageConst.PROPERTY_TAGS, RECALL_MESSAGE_TAG],
    [MessageConst.PROPERTY_TIMER_DEL_UNIQKEY, `${handle.topic}+${handle.messageId}`],
    [MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, handle.messageId],
    [MessageConst.PROPERTY_TIMER_DELIVER_MS, handle.timestamp],
    ['BORN_TIMESTAMP', String(Date.now())],
    ['TRACE_CONTEXT', ''],
  ]);
  if (request.producerGroup !== undefined) marker.properties.set(MessageConst.PROPERTY_PRODUCER_GROUP, request.producerGroup);
  marker.bornTimestamp = Date.now();
  marker.bornHost = parseHostAddress(request.remoteAddr);
  marker.storeHost = parseHostAddress(broker.brokerAddr);
  const refused = broker.handlePutHooks(marker);
  if (refused !== undefined) return { code: refused.code, remark: refused.remark };
  const result = await broker.messageStore.putMessage(marker);
  if (!isStored(result.status)) return { code: ResponseCode.SYSTEM_ERROR, remark: 'recall failed, execute error' };
  return { code: ResponseCode.SUCCESS, msgId: handle.messageId };
}
