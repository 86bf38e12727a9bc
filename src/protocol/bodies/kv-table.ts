import { RemotingCommandError } from '../../common/errors.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { asObject, optObject, optStringMap, parseJsonBody } from './json-fields.js';

/** KVTable.java: `{"table":{"key":"value"}}`, the body of GET_KVLIST_BY_NAMESPACE and of REGISTER_BROKER's answer. */
export function encodeKVTable(table: ReadonlyMap<string, string>): Buffer {
  return Buffer.from(toFastjson({ table: JsonMap.of(table) }));
}

export function decodeKVTable(body: Buffer | string | undefined): Map<string, string> {
  const obj = asObject(parseJsonBody(body, 'KVTable'), 'KVTable');
  return optStringMap(obj, 'table', 'KVTable') ?? new Map<string, string>();
}

/** KVConfigSerializeWrapper.java, the content of kvConfig.json: `{"configTable":{"namespace":{"key":"value"}}}`. */
export function encodeKVConfigTable(configTable: ReadonlyMap<string, ReadonlyMap<string, string>>): string {
  return toFastjson({ configTable: new JsonMap([...configTable].map(([ns, table]) => [ns, JsonMap.of(table)])) });
}

export function decodeKVConfigTable(text: string): Map<string, Map<string, string>> {
  const what = 'KVConfigSerializeWrapper';
  const obj = asObject(parseJsonBody(text, what), what);
  const out = new Map<string, Map<string, string>>();
  const configTable = optObject(obj, 'configTable', what) ?? {};
  for (const namespace of Object.keys(configTable)) {
    if (configTable[namespace] === null) continue;
    const table = optStringMap(configTable, namespace, `${what}.configTable`);
    if (table === undefined) throw new RemotingCommandError(`${what}.configTable[${namespace}] is not an object`);
    out.set(namespace, table);
  }
  return out;
}
