import { RemotingCommandError } from '../../common/errors.js';
import { dataVersionFromJson, dataVersionToJson, type DataVersion } from './data-version.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { asObject, optObject, parseJsonBody, type JsonObject } from './json-fields.js';

/**
 * ConsumerOffsetSerializeWrapper.java: GET_ALL_CONSUMER_OFFSET's body, offsets by "topic@group" then queue id.
 * fastjson writes the Integer queue ids unquoted, `{"T@G":{0:7,1:42}}`. 5.x brokers answer with their whole
 * ConsumerOffsetManager, which adds `dataVersion` and a `groupTopicMap` derived from the offset table's keys;
 * the map is recomputable, so it is read past.
 */
export interface ConsumerOffsetSerializeWrapper {
  offsetTable: Map<string, Map<number, number>>;
  /** 5.x only. */
  dataVersion?: DataVersion | undefined;
}

export function encodeConsumerOffsetSerializeWrapper(wrapper: ConsumerOffsetSerializeWrapper): Buffer {
  const bean = {
    dataVersion: wrapper.dataVersion === undefined ? undefined : dataVersionToJson(wrapper.dataVersion),
    offsetTable: new JsonMap([...wrapper.offsetTable].map(([key, offsets]) => [key, JsonMap.of(offsets)])),
  };
  return Buffer.from(toFastjson(bean));
}

export function decodeConsumerOffsetSerializeWrapper(body: Buffer | string | undefined): ConsumerOffsetSerializeWrapper {
  const what = 'ConsumerOffsetSerializeWrapper';
  const obj = asObject(parseJsonBody(body, what), what);
  const offsetTable = new Map<string, Map<number, number>>();
  for (const [key, offsets] of Object.entries(optObject(obj, 'offsetTable', what) ?? {})) {
    if (offsets === null) continue;
    offsetTable.set(key, intKeyedOffsets(asObject(offsets, `${what}.offsetTable[${key}]`), `${what}.offsetTable[${key}]`));
  }
  const version = optObject(obj, 'dataVersion', what);
  return {
    offsetTable,
    dataVersion: version === undefined ? undefined : dataVersionFromJson(version, `${what}.dataVersion`),
  };
}

/** A Map<Integer, Long> as fastjson writes it: int keys (unquoted or quoted), integer values; nulls skipped. */
export function intKeyedOffsets(obj: JsonObject, what: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, value] of Object.entries(obj)) {
    if (value === null) continue;
    const id = /^[+-]?\d{1,10}$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(id) || id < -2147483648 || id > 2147483647) {
      throw new RemotingCommandError(`${what}: key '${key.slice(0, 64)}' is not an int`);
    }
    // fastjson also reads a numeric string into a Long.
    const offset = typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : value;
    if (typeof offset !== 'number' || !Number.isInteger(offset)) throw new RemotingCommandError(`${what}[${id}] is not an integer`);
    out.set(id, offset);
  }
  return out;
}
