import { dataVersionToJson, type DataVersion } from './data-version.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';

/**
 * ConsumerOffsetManager.java serialized whole, as 5.x writes consumerOffset.json and answers GET_ALL_CONSUMER_OFFSET:
 * `{"dataVersion":{...},"groupTopicMap":{"G":["T"]},"offsetTable":{"T@G":{0:12}}}`. groupTopicMap is derived from
 * the offset table's keys; 4.9 readers (and decodeConsumerOffsetSerializeWrapper) skip it.
 */
export function encodeConsumerOffsetTable(offsetTable: ReadonlyMap<string, ReadonlyMap<number, number>>, dataVersion: DataVersion): string {
  const groupTopicMap = new Map<string, string[]>();
  for (const key of offsetTable.keys()) {
    const parts = key.split('@');
    // Java skips keys that do not split into exactly topic and group.
    if (parts.length !== 2) continue;
    const [topic, group] = parts as [string, string];
    const topics = groupTopicMap.get(group);
    if (topics === undefined) groupTopicMap.set(group, [topic]);
    else if (!topics.includes(topic)) topics.push(topic);
  }
  return toFastjson({
    dataVersion: dataVersionToJson(dataVersion),
    groupTopicMap: JsonMap.of(groupTopicMap),
    offsetTable: new JsonMap([...offsetTable].map(([key, offsets]) => [key, JsonMap.of(offsets)])),
  });
}
