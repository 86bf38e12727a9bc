import { MQClientError } from './errors.js';
import { ResponseCode } from '../protocol/response-code.js';

/** TopicValidator's name rule, shared by topics and groups. */
const VALID_NAME = /^[%|a-zA-Z0-9_-]+$/;
export const TOPIC_MAX_LENGTH = 127;
export const CHARACTER_MAX_LENGTH = 255;

/** TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET: system topics a producer may not write. */
const NOT_ALLOWED_SEND_TOPICS: ReadonlySet<string> = new Set([
  'SCHEDULE_TOPIC_XXXX',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
]);

/** Validators.java: checks made before any I/O, with Java's messages. */
export const Validators = {
  checkGroup(group: string): void {
    if (group.trim() === '') throw new MQClientError('the specified group is blank');
    if (group.length > CHARACTER_MAX_LENGTH) throw new MQClientError('the specified group is longer than group max length 255.');
    if (!VALID_NAME.test(group)) {
      throw new MQClientError(`the specified group[${group}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
    }
  },

  checkTopic(topic: string): void {
    if (topic.trim() === '') throw new MQClientError('The specified topic is blank');
    if (topic.length > TOPIC_MAX_LENGTH) {
      throw new MQClientError(`The specified topic is longer than topic max length ${TOPIC_MAX_LENGTH}.`);
    }
    if (!VALID_NAME.test(topic)) {
      throw new MQClientError(`The specified topic[${topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
    }
    if (NOT_ALLOWED_SEND_TOPICS.has(topic)) throw new MQClientError(`Sending message to topic[${topic}] is forbidden.`);
  },

  /** checkMessage's body rules: present, not empty, at most maxMessageSize bytes. */
  checkBody(body: Buffer, maxMessageSize: number): void {
    if (body.length === 0) {
      throw new MQClientError('the message body length is zero', { responseCode: ResponseCode.MESSAGE_ILLEGAL });
    }
    if (body.length > maxMessageSize) {
      throw new MQClientError(`the message body size over max value, MAX: ${maxMessageSize}`, {
        responseCode: ResponseCode.MESSAGE_ILLEGAL,
      });
    }
  },
};
