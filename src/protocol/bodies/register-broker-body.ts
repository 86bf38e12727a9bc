import { deflateSync, inflateSync } from 'node:zlib';
import { RemotingCommandError } from '../../common/errors.js';
import { MQVersion } from '../language-code.js';
import { decodeDataVersion, encodeDataVersion, zeroDataVersion } from './data-version.js';
import { toFastjson } from './fastjson-writer.js';
import { asObject, asString, optArray, optObject, parseJsonBody } from './json-fields.js';
import { decodeTopicConfigText, encodeTopicConfigText, type TopicConfig } from './topic-config.js';
import {
  decodeTopicConfigSerializeWrapper,
  topicConfigWrapperFromJson,
  topicConfigWrapperToJson,
  type TopicConfigSerializeWrapper,
} from './topic-config-serialize-wrapper.js';

export type { TopicConfigSerializeWrapper };

/** RegisterBrokerBody.java: the body of REGISTER_BROKER. */
export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: TopicConfigSerializeWrapper;
  filterServerList: string[];
}

/** Brokers older than 3.0.11 sent a bare TopicConfigSerializeWrapper. */
const V3_0_11 = 37;

/** A compressed body may not inflate beyond this: a few bytes of deflate can otherwise claim gigabytes. */
export const MAX_INFLATED_REGISTER_BODY = 64 * 1024 * 1024;

export function emptyRegisterBrokerBody(): RegisterBrokerBody {
  return { topicConfigSerializeWrapper: { dataVersion: zeroDataVersion(), topicConfigTable: new Map() }, filterServerList: [] };
}

/**
 * Decodes what DefaultRequestProcessor.registerBroker reads: no body is an empty registration with a zeroed
 * DataVersion; `compressed` selects the deflate+length-prefixed form; `version` is the request's version.
 */
export function decodeRegisterBrokerBody(body: Buffer | undefined, compressed: boolean, version: number): RegisterBrokerBody {
  if (body === undefined || body.length === 0) return emptyRegisterBrokerBody();
  if (version < V3_0_11) {
    return { topicConfigSerializeWrapper: decodeTopicConfigSerializeWrapper(body), filterServerList: [] };
  }
  return compressed ? decodeCompressed(body, version) : decodeJson(body);
}

export interface RegisterBrokerBodyEncoding {
  compressed: boolean;
  /** The sender's version: from 5.0.0 on, the compressed form ends with a static-topic mapping section. */
  version: number;
}

export function encodeRegisterBrokerBody(body: RegisterBrokerBody, encoding: RegisterBrokerBodyEncoding): Buffer {
  if (!encoding.compressed) {
    return Buffer.from(toFastjson({ filterServerList: body.filterServerList, topicConfigSerializeWrapper: topicConfigWrapperToJson(body.topicConfigSerializeWrapper) }));
  }
  const parts: Buffer[] = [];
  const blob = (bytes: Buffer): void => void parts.push(int32(bytes.length), bytes);
  blob(encodeDataVersion(body.topicConfigSerializeWrapper.dataVersion));
  parts.push(int32(body.topicConfigSerializeWrapper.topicConfigTable.size));
  for (const config of body.topicConfigSerializeWrapper.topicConfigTable.values()) blob(Buffer.from(encodeTopicConfigText(config)));
  blob(Buffer.from(toFastjson(body.filterServerList)));
  if (encoding.version >= MQVersion.V5_0_0) parts.push(int32(0));
  return deflateSync(Buffer.concat(parts), { level: 9 });
}

function decodeJson(body: Buffer): RegisterBrokerBody {
  const obj = asObject(parseJsonBody(body, 'RegisterBrokerBody'), 'RegisterBrokerBody');
  const wrapperObj = optObject(obj, 'topicConfigSerializeWrapper', 'RegisterBrokerBody');
  const filters = optArray(obj, 'filterServerList', 'RegisterBrokerBody') ?? [];
  return {
    topicConfigSerializeWrapper: wrapperObj === undefined ? emptyRegisterBrokerBody().topicConfigSerializeWrapper : topicConfigWrapperFromJson(wrapperObj, 'topicConfigSerializeWrapper'),
    filterServerList: filters.map((f, i) => asString(f, `RegisterBrokerBody.filterServerList[${i}]`)),
  };
}


function decodeCompressed(body: Buffer, version: number): RegisterBrokerBody {
  let data: Buffer;
  try {
    data = inflateSync(body, { maxOutputLength: MAX_INFLATED_REGISTER_BODY });
  } catch (err) {
    throw new RemotingCommandError(`compressed RegisterBrokerBody does not inflate: ${(err as Error).message}`, { cause: err });
  }
  const reader = new BlobReader(data);
  const dataVersion = decodeDataVersion(reader.blob('dataVersion'));
  const topicCount = reader.int('topic count');
  const topicConfigTable = new Map<string, TopicConfig>();
  for (let i = 0; i < topicCount; i++) {
    const config = decodeTopicConfigText(reader.blob(`topic config ${i}`).toString('utf8'));
    topicConfigTable.set(config.topicName, config);
  }
  const filters = parseJsonBody(reader.blob('filter server list'), 'filterServerList');
  if (!Array.isArray(filters)) throw new RemotingCommandError('compressed RegisterBrokerBody: filterServerList is not an array');
  if (version >= MQVersion.V5_0_0) {
    // Static-topic mappings: read to validate the framing, not routed by this name server.
    const mappings = reader.int('topic queue mapping count');
    for (let i = 0; i < mappings; i++) reader.blob(`topic queue mapping ${i}`);
  }
  return {
    topicConfigSerializeWrapper: { dataVersion, topicConfigTable },
    filterServerList: filters.map((f, i) => asString(f, `filterServerList[${i}]`)),
  };
}

class BlobReader {
  private pos = 0;

  constructor(private readonly data: Buffer) {}

  int(what: string): number {
    if (this.pos + 4 > this.data.length) throw this.truncated(what);
    const n = this.data.readInt32BE(this.pos);
    this.pos += 4;
    if (n < 0) throw new RemotingCommandError(`compressed RegisterBrokerBody: negative ${what} ${n}`);
    return n;
  }

  blob(what: string): Buffer {
    const length = this.int(`length of ${what}`);
    if (this.pos + length > this.data.length) throw this.truncated(what);
    const out = this.data.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private truncated(what: string): RemotingCommandError {
    return new RemotingCommandError(`compressed RegisterBrokerBody ends inside the ${what}`);
  }
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
}
