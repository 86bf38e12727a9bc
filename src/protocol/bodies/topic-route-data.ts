import { RemotingCommandError } from '../../common/errors.js';
import type { JsonValue } from '../lenient-json.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { asObject, asString, optArray, optBoolean, optInteger, optObject, optString, parseJsonBody, type JsonObject } from './json-fields.js';

/** QueueData.java: one broker's queues of a topic. */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** BrokerData.java: a broker group's addresses by brokerId (0 = master). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>;
  /** 5.x; written always (a primitive boolean in Java). */
  enableActingMaster: boolean;
  zoneName?: string | undefined;
}

/** TopicRouteData.java (static-topic mappings are not routed by us). */
export interface TopicRouteData {
  orderTopicConf?: string | undefined;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  filterServerTable: Map<string, string[]>;
}

/**
 * `standard` selects the BrowserCompatible form the name server gives clients of version >= 4.9.4 (or asking
 * acceptStandardJsonOnly); otherwise brokerAddrs keys are unquoted, as old clients (Go: version 317) expect.
 */
export function encodeTopicRouteData(route: TopicRouteData, standard: boolean): Buffer {
  const bean = {
    brokerDatas: route.brokerDatas.map(brokerDataToJson),
    filterServerTable: JsonMap.of(route.filterServerTable),
    orderTopicConf: route.orderTopicConf,
    queueDatas: route.queueDatas.map(queueDataToJson),
  };
  return Buffer.from(toFastjson(bean, { standard }));
}

export function decodeTopicRouteData(body: Buffer | string | undefined): TopicRouteData {
  const what = 'TopicRouteData';
  const obj = asObject(parseJsonBody(body, what), what);
  const filterServerTable = new Map<string, string[]>();
  for (const [addr, list] of Object.entries(optObject(obj, 'filterServerTable', what) ?? {})) {
    if (list === null) continue;
    if (!Array.isArray(list)) throw new RemotingCommandError(`${what}.filterServerTable[${addr}] is not an array`);
    filterServerTable.set(addr, list.map((f, i) => asString(f, `${what}.filterServerTable[${addr}][${i}]`)));
  }
  return {
    orderTopicConf: optString(obj, 'orderTopicConf', what),
    queueDatas: (optArray(obj, 'queueDatas', what) ?? []).map((q, i) => queueDataFromJson(q, `${what}.queueDatas[${i}]`)),
    brokerDatas: (optArray(obj, 'brokerDatas', what) ?? []).map((b, i) => brokerDataFromJson(b, `${what}.brokerDatas[${i}]`)),
    filterServerTable,
  };
}

export function brokerDataToJson(data: BrokerData): object {
  return {
    brokerAddrs: brokerAddrsToJson(data.brokerAddrs),
    brokerName: data.brokerName,
    cluster: data.cluster,
    enableActingMaster: data.enableActingMaster,
    zoneName: data.zoneName,
  };
}

/** HashMap<Long,String> of small ids iterates in ascending order. */
function brokerAddrsToJson(addrs: Map<number, string>): JsonMap {
  return new JsonMap([...addrs].sort(([a], [b]) => a - b));
}

export function queueDataToJson(data: QueueData): object {
  return {
    brokerName: data.brokerName,
    perm: data.perm,
    readQueueNums: data.readQueueNums,
    topicSysFlag: data.topicSysFlag,
    writeQueueNums: data.writeQueueNums,
  };
}

export function queueDataFromJson(value: JsonValue, what: string): QueueData {
  const obj = asObject(value, what);
  const brokerName = optString(obj, 'brokerName', what);
  if (brokerName === undefined) throw new RemotingCommandError(`${what}.brokerName is missing`);
  return {
    brokerName,
    readQueueNums: optInteger(obj, 'readQueueNums', what) ?? 0,
    writeQueueNums: optInteger(obj, 'writeQueueNums', what) ?? 0,
    perm: optInteger(obj, 'perm', what) ?? 0,
    topicSysFlag: optInteger(obj, 'topicSysFlag', what) ?? 0,
  };
}

export function brokerDataFromJson(value: JsonValue, what: string): BrokerData {
  const obj: JsonObject = asObject(value, what);
  const brokerAddrs = new Map<number, string>();
  for (const [id, addr] of Object.entries(optObject(obj, 'brokerAddrs', what) ?? {})) {
    if (addr === null) continue;
    const brokerId = /^-?\d+$/.test(id) ? Number(id) : NaN;
    if (!Number.isSafeInteger(brokerId)) throw new RemotingCommandError(`${what}.brokerAddrs key '${id}' is not a broker id`);
    brokerAddrs.set(brokerId, asString(addr, `${what}.brokerAddrs[${id}]`));
  }
  return {
    cluster: optString(obj, 'cluster', what) ?? '',
    brokerName: optString(obj, 'brokerName', what) ?? '',
    brokerAddrs,
    enableActingMaster: optBoolean(obj, 'enableActingMaster', what) ?? false,
    zoneName: optString(obj, 'zoneName', what),
  };
}
