import { RemotingCommandError } from '../../common/errors.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { asObject, asString, optObject, parseJsonBody } from './json-fields.js';
import { brokerDataFromJson, brokerDataToJson, type BrokerData } from './topic-route-data.js';

/** ClusterInfo.java: GET_BROKER_CLUSTER_INFO's body, always the plain form (unquoted brokerAddrs keys). */
export interface ClusterInfo {
  brokerAddrTable: Map<string, BrokerData>;
  clusterAddrTable: Map<string, string[]>;
}

export function encodeClusterInfo(info: ClusterInfo): Buffer {
  const bean = {
    brokerAddrTable: new JsonMap([...info.brokerAddrTable].map(([name, data]) => [name, brokerDataToJson(data)])),
    clusterAddrTable: JsonMap.of(info.clusterAddrTable),
  };
  return Buffer.from(toFastjson(bean));
}

export function decodeClusterInfo(body: Buffer | string | undefined): ClusterInfo {
  const what = 'ClusterInfo';
  const obj = asObject(parseJsonBody(body, what), what);
  const brokerAddrTable = new Map<string, BrokerData>();
  for (const [name, data] of Object.entries(optObject(obj, 'brokerAddrTable', what) ?? {})) {
    if (data !== null) brokerAddrTable.set(name, brokerDataFromJson(data, `${what}.brokerAddrTable[${name}]`));
  }
  const clusterAddrTable = new Map<string, string[]>();
  for (const [cluster, names] of Object.entries(optObject(obj, 'clusterAddrTable', what) ?? {})) {
    if (names === null) continue;
    if (!Array.isArray(names)) throw new RemotingCommandError(`${what}.clusterAddrTable[${cluster}] is not an array`);
    clusterAddrTable.set(cluster, names.map((n, i) => asString(n, `${what}.clusterAddrTable[${cluster}][${i}]`)));
  }
  return { brokerAddrTable, clusterAddrTable };
}
