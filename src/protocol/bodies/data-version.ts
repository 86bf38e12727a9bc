import { toFastjson } from './fastjson-writer.js';
import { asObject, optInteger, parseJsonBody, type JsonObject } from './json-fields.js';

/**
 * DataVersion.java: the version of a broker's topic configuration. Equal when stateVersion, timestamp and
 * counter are equal. 4.9 has no stateVersion (read as 0); we always write it, which 4.9's fastjson ignores.
 */
export interface DataVersion {
  stateVersion: number;
  timestamp: number;
  counter: number;
}

export function dataVersionEquals(a: DataVersion, b: DataVersion): boolean {
  return a.stateVersion === b.stateVersion && a.timestamp === b.timestamp && a.counter === b.counter;
}

/** The version an empty registration gets (Java's zeroed DataVersion for a null body). */
export function zeroDataVersion(): DataVersion {
  return { stateVersion: 0, timestamp: 0, counter: 0 };
}

export function encodeDataVersion(version: DataVersion): Buffer {
  return Buffer.from(toFastjson(dataVersionToJson(version)));
}

export function dataVersionToJson(version: DataVersion): object {
  return { counter: version.counter, stateVersion: version.stateVersion, timestamp: version.timestamp };
}

export function decodeDataVersion(body: Buffer | string | undefined): DataVersion {
  return dataVersionFromJson(asObject(parseJsonBody(body, 'DataVersion'), 'DataVersion'), 'DataVersion');
}

/** Java's field initialisers apply to missing fields: timestamp "now" is replaced by 0 to stay deterministic. */
export function dataVersionFromJson(obj: JsonObject, what: string): DataVersion {
  return {
    stateVersion: optInteger(obj, 'stateVersion', what) ?? 0,
    timestamp: optInteger(obj, 'timestamp', what) ?? 0,
    counter: optInteger(obj, 'counter', what) ?? 0,
  };
}
