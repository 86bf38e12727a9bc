import { toFastjson } from './fastjson-writer.js';
import { asObject, asString, optArray, optString, parseJsonBody } from './json-fields.js';

/** TopicList.java: `{"brokerAddr":"..."?,"topicList":[...]}`. */
export interface TopicList {
  topicList: string[];
  brokerAddr?: string | undefined;
}

export function encodeTopicList(list: TopicList): Buffer {
  return Buffer.from(toFastjson({ brokerAddr: list.brokerAddr, topicList: list.topicList }));
}

export function decodeTopicList(body: Buffer | string | undefined): TopicList {
  const obj = asObject(parseJsonBody(body, 'TopicList'), 'TopicList');
  return {
    topicList: (optArray(obj, 'topicList', 'TopicList') ?? []).map((t, i) => asString(t, `TopicList.topicList[${i}]`)),
    brokerAddr: optString(obj, 'brokerAddr', 'TopicList'),
  };
}
