import { RemotingCommandError } from '../../common/errors.js';
import { toFastjson } from './fastjson-writer.js';
import { asObject, optArray, parseJsonBody } from './json-fields.js';

/** GetConsumerListByGroupResponseBody.java: GET_CONSUMER_LIST_BY_GROUP's body, `{"consumerIdList":["ip@instance",...]}`. */
export function encodeConsumerListByGroup(consumerIdList: readonly string[]): Buffer {
  return Buffer.from(toFastjson({ consumerIdList }));
}

export function decodeConsumerListByGroup(body: Buffer | string | undefined): string[] {
  const what = 'GetConsumerListByGroupResponseBody';
  const list = optArray(asObject(parseJsonBody(body, what), what), 'consumerIdList', what) ?? [];
  return list.map((id, i) => {
    if (typeof id !== 'string') throw new RemotingCommandError(`${what}.consumerIdList[${i}] is not a string`);
    return id;
  });
}
