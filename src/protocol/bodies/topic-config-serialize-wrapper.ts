import { dataVersionFromJson, dataVersionToJson, zeroDataVersion, type DataVersion } from './data-version.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { asObject, optObject, parseJsonBody, type JsonObject } from './json-fields.js';
import { topicConfigFromJson, topicConfigToJson, type TopicConfig } from './topic-config.js';

/** TopicConfigSerializeWrapper.java (the static-topic sections of 5.x's subclass are not routed by us). */
export interface TopicConfigSerializeWrapper {
  dataVersion: DataVersion;
  topicConfigTable: Map<string, TopicConfig>;
}

/**
 * TopicConfigSerializeWrapper.java as GET_ALL_TOPIC_CONFIG returns it. A 5.x broker sends its subclass
 * TopicConfigAndMappingSerializeWrapper, which adds mappingDataVersion, topicQueueMappingDetailMap and
 * topicQueueMappingInfoMap (static topics); those are read past, as we do not serve static topics.
 */
export function encodeTopicConfigSerializeWrapper(wrapper: TopicConfigSerializeWrapper): Buffer {
  return Buffer.from(toFastjson(topicConfigWrapperToJson(wrapper)));
}

export function decodeTopicConfigSerializeWrapper(body: Buffer | string | undefined): TopicConfigSerializeWrapper {
  const what = 'TopicConfigSerializeWrapper';
  return topicConfigWrapperFromJson(asObject(parseJsonBody(body, what), what), what);
}

export function topicConfigWrapperToJson(wrapper: TopicConfigSerializeWrapper): object {
  return {
    dataVersion: dataVersionToJson(wrapper.dataVersion),
    topicConfigTable: new JsonMap([...wrapper.topicConfigTable].map(([name, config]) => [name, topicConfigToJson(config)])),
  };
}

export function topicConfigWrapperFromJson(obj: JsonObject, what: string): TopicConfigSerializeWrapper {
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
