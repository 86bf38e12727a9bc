import { dataVersionFromJson, zeroDataVersion } from './data-version.js';
import { toFastjson } from './fastjson-writer.js';
import { asObject, optObject, parseJsonBody } from './json-fields.js';
import { wrapperToJson, type TopicConfigSerializeWrapper } from './register-broker-body.js';
import { topicConfigFromJson, type TopicConfig } from './topic-config.js';

/**
 * TopicConfigSerializeWrapper.java as GET_ALL_TOPIC_CONFIG returns it. A 5.x broker sends its subclass
 * TopicConfigAndMappingSerializeWrapper, which adds mappingDataVersion, topicQueueMappingDetailMap and
 * topicQueueMappingInfoMap (static topics); those are read past, as we do not serve static topics.
 */
export function encodeTopicConfigSerializeWrapper(wrapper: TopicConfigSerializeWrapper): Buffer {
  return Buffer.from(toFastjson(wrapperToJson(wrapper)));
}

export function decodeTopicConfigSerializeWrapper(body: Buffer | string | undefined): TopicConfigSerializeWrapper {
  const what = 'TopicConfigSerializeWrapper';
  const obj = asObject(parseJsonBody(body, what), what);
  const topicConfigTable = new Map<string, TopicConfig>();
  for (const [topic, config] of Object.entries(optObject(obj, 'topicConfigTable', what) ?? {})) {
    if (config === null) continue;
    const where = `${what}.topicConfigTable[${topic}]`;
    topicConfigTable.set(topic, topicConfigFromJson(asObject(config, where), topic, where));
  }
  const version = optObject(obj, 'dataVersion', what);
  return {
    dataVersion: version === undefined ? zeroDataVersion() : dataVersionFromJson(version, `${what}.dataVersion`),
    topicConfigTable,
  };
}
