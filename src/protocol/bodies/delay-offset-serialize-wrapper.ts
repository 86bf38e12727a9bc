import { dataVersionFromJson, dataVersionToJson, type DataVersion } from './data-version.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { asObject, optObject, parseJsonBody } from './json-fields.js';
import { intKeyedOffsets } from './consumer-offset-serialize-wrapper.js';

/**
 * DelayOffsetSerializeWrapper.java: the schedule service's progress, offsets by delay level, the body of
 * GET_ALL_DELAY_OFFSET: `{"dataVersion":{...},"offsetTable":{3:1}}` (levels unquoted; dataVersion is 5.x only).
 * The Java slave keeps the body as text and writes it to delayOffset.json; this is for reading it.
 */
export interface DelayOffsetSerializeWrapper {
  offsetTable: Map<number, number>;
  dataVersion?: DataVersion | undefined;
}

export function encodeDelayOffsetSerializeWrapper(wrapper: DelayOffsetSerializeWrapper): Buffer {
  const bean = {
    dataVersion: wrapper.dataVersion === undefined ? undefined : dataVersionToJson(wrapper.dataVersion),
    offsetTable: JsonMap.of(wrapper.offsetTable),
  };
  return Buffer.from(toFastjson(bean));
}

export function decodeDelayOffsetSerializeWrapper(body: Buffer | string | undefined): DelayOffsetSerializeWrapper {
  const what = 'DelayOffsetSerializeWrapper';
  const obj = asObject(parseJsonBody(body, what), what);
  const version = optObject(obj, 'dataVersion', what);
  return {
    offsetTable: intKeyedOffsets(optObject(obj, 'offsetTable', what) ?? {}, `${what}.offsetTable`),
    dataVersion: version === undefined ? undefined : dataVersionFromJson(version, `${what}.dataVersion`),
  };
}
