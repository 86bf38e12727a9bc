import { ResponseCode } from '../../protocol/index.js';
import { MessageConst, MessageSysFlag, getTransactionValue, type MessageExtBrokerInner } from '../../protocol/message/index.js';
import { TIMER_TOPIC } from '../../store/timer/timer-message-store.js';
import { getDelayTimeLevel, handleScheduleMessage } from '../schedule/schedule-message-service.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../topic/topic-validator.js';

/** The store settings the hook reads (MessageStoreConfig's timer keys). */
export interface TimerHookConfig {
  timerWheelEnable: boolean;
  timerPrecisionMs: number;
  timerMaxDelaySec: number;
}

/** Why a put is refused, as the send answers it. */
export interface PutRefusal {
  code: number;
  remark: string;
}

const TIMER_REQUEST_KEYS = [MessageConst.PROPERTY_TIMER_DELIVER_MS, MessageConst.PROPERTY_TIMER_DELAY_SEC, MessageConst.PROPERTY_TIMER_DELAY_MS];

/**
 * HookUtils.handleScheduleMessage (5.x), run on every put of a new, committed or sent-back message: a timer
 * message goes to rmq_sys_wheel_timer (see transformTimerMessage), then a DELAY level parks it in the schedule
 * topic. Undefined when the put may go ahead; a refusal otherwise (the message is not stored).
 */
export function handlePutHooks(msg: MessageExtBrokerInner, config: TimerHookConfig, maxDelayLevel: number, now: number): PutRefusal | undefined {
  const tranType = getTransactionValue(msg.sysFlag);
  if (tranType !== MessageSysFlag.TRANSACTION_NOT_TYPE && tranType !== MessageSysFlag.TRANSACTION_COMMIT_TYPE) return undefined;
  if (msg.topic !== TIMER_TOPIC && isTimerMessage(msg)) {
    if (!config.timerWheelEnable) {
      return { code: ResponseCode.SYSTEM_ERROR, remark: `accurate timer message is not enabled, timerWheelEnable is ${String(config.timerWheelEnable)}` };
    }
    const refused = transformTimerMessage(msg, config, now);
    if (refused !== undefined) return refused;
  }
  handleScheduleMessage(msg, maxDelayLevel);
  return undefined;
}

/**
 * HookUtils.checkIfTimerMessage: a DELAY level wins (the timer keys are removed); a message already carrying
 * TIMER_OUT_MS is a delivered (or re-put) timer message and is left alone.
 */
function isTimerMessage(msg: MessageExtBrokerInner): boolean {
  // Looked up with getProperty, so that a message whose properties are still their stored string (a committed half
  // message) is not parsed for them.
  const requested = TIMER_REQUEST_KEYS.some((key) => msg.getProperty(key) !== undefined);
  if (getDelayTimeLevel(msg) > 0) {
    if (requested) for (const key of TIMER_REQUEST_KEYS) msg.properties.delete(key);
    return false;
  }
  return requested && msg.getProperty(MessageConst.PROPERTY_TIMER_OUT_MS) === undefined;
}

/**
 * HookUtils.transformTimerMessage. The deliver time is TIMER_DELAY_SEC, else TIMER_DELAY_MS (both from now), else
 * TIMER_DELIVER_MS; a value Long.parseLong refuses, or a time further than timerMaxDelaySec, is MESSAGE_ILLEGAL; a
 * time not in the future is an ordinary send. TIMER_OUT_MS is the time rounded down to the precision (an exact
 * multiple to the step before), Java's slot; the timer store finds the time asked again from the request keys.
 */
function transformTimerMessage(msg: MessageExtBrokerInner, config: TimerHookConfig, now: number): PutRefusal | undefined {
  const illegal: PutRefusal = {
    code: ResponseCode.MESSAGE_ILLEGAL,
    remark: `timer message illegal, the delay time should not be bigger than the max delay ${config.timerMaxDelaySec * 1000}ms; or if set del msg, the delay time should be bigger than the current time`,
  };
  const seconds = msg.properties.get(MessageConst.PROPERTY_TIMER_DELAY_SEC);
  const millis = msg.properties.get(MessageConst.PROPERTY_TIMER_DELAY_MS);
  let deliverMs: number | undefined;
  if (seconds !== undefined) deliverMs = javaParseLong(seconds, (n) => now + n * 1000);
  else if (millis !== undefined) deliverMs = javaParseLong(millis, (n) => now + n);
  else deliverMs = javaParseLong(msg.properties.get(MessageConst.PROPERTY_TIMER_DELIVER_MS) ?? '', (n) => n);
  if (deliverMs === undefined) return illegal;
  if (deliverMs <= now) return msg.properties.has(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY) ? illegal : undefined;
  if (deliverMs - now > config.timerMaxDelaySec * 1000) return illegal;
  const precision = config.timerPrecisionMs;
  deliverMs = deliverMs % precision === 0 ? deliverMs - precision : Math.floor(deliverMs / precision) * precision;
  msg.properties.set(MessageConst.PROPERTY_TIMER_OUT_MS, String(deliverMs));
  msg.properties.set(MessageConst.PROPERTY_REAL_TOPIC, msg.topic);
  msg.properties.set(MessageConst.PROPERTY_REAL_QUEUE_ID, String(msg.queueId));
  msg.topic = TIMER_TOPIC;
  msg.queueId = 0;
  return undefined;
}

/** Long.parseLong: an optional sign and decimal digits within 64 bits, else undefined; then `use` of the value. */
function javaParseLong(text: string, use: (n: number) => number): number | undefined {
  if (!/^[+-]?\d{1,19}$/.test(text)) return undefined;
  const big = BigInt(text);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  return use(Number(big));
}

/**
 * SendMessageProcessor.attachRecallHandle (5.3.x): the handle a producer can recall a timer message with,
 * Base64 (Java's URL encoder: URL alphabet, padded) of "v1 <realTopic> <brokerName> <TIMER_OUT_MS + 1> <UNIQ_KEY>";
 * not for a retry topic.
 */
export function recallHandleOf(msg: MessageExtBrokerInner, brokerName: string): string | undefined {
  const out = msg.properties.get(MessageConst.PROPERTY_TIMER_OUT_MS);
  const realTopic = msg.properties.get(MessageConst.PROPERTY_REAL_TOPIC);
  if (out === undefined || realTopic === undefined || realTopic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return undefined;
  const raw = ['v1', realTopic, brokerName, String(Number(out) + 1), msg.uniqKey ?? ''].join(' ');
  return Buffer.from(raw, 'utf8').toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

/** A decoded recall handle (RecallMessageHandle.HandleV1). */
export interface RecallHandle {
  topic: string;
  brokerName: string;
  timestamp: string;
  messageId: string;
}

/**
 * RecallMessageHandle.decodeHandle: Java's URL decoder (URL alphabet, padding optional), then "v1" and at least four
 * more fields separated by spaces; undefined for anything else.
 */
export function decodeRecallHandle(handle: string): RecallHandle | undefined {
  if (handle === '' || !/^[A-Za-z0-9_-]*={0,2}$/.test(handle) || handle.replace(/=+$/, '').length % 4 === 1) return undefined;
  const items = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  if (items[0] !== 'v1' || items.length < 5) return undefined;
  return { topic: items[1]!, brokerName: items[2]!, timestamp: items[3]!, messageId: items[4]! };
}
