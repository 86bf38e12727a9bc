import { describeRequestCode } from './request-code.js';
import { describeResponseCode } from './response-code.js';
import { CURRENT_VERSION, type LanguageName } from './language-code.js';
import type { SerializeTypeName } from './serialize-type.js';
import {
  decodeCustomHeader,
  headerToExtFields,
  type CustomHeader,
  type DecodedHeader,
  type ExtFields,
  type HeaderSchema,
  type RawExtFields,
  setOwnField,
  valuesInKeyOrder,
} from './custom-header.js';

const RPC_TYPE_RESPONSE = 1; // flag bit 0
const RPC_ONEWAY = 2; // flag bit 1

// Java takes opaques from one process-wide AtomicInteger; a wrapping int32 counter gives the same guarantees.
let nextOpaque = 0;
function takeOpaque(): number {
  const opaque = nextOpaque;
  nextOpaque = (nextOpaque + 1) | 0;
  return opaque;
}

export interface RemotingCommandInit {
  code: number;
  language?: LanguageName;
  version?: number;
  opaque?: number;
  flag?: number;
  remark?: string | undefined;
  extFields?: ExtFields | undefined;
  /** Instead of `extFields`: the wire bytes, decoded when first needed. */
  rawExtFields?: RawExtFields | undefined;
  body?: Buffer | undefined;
  serializeTypeCurrentRPC?: SerializeTypeName;
}

/** One request or response of the remoting protocol (RemotingCommand.java). */
export class RemotingCommand {
  code: number;
  language: LanguageName;
  version: number;
  opaque: number;
  flag: number;
  remark: string | undefined;
  private ownExtFields: ExtFields | undefined;
  private rawExtFields: RawExtFields | undefined;
  body: Buffer | undefined;
  /** How this command's header is (or will be) encoded on the wire. */
  serializeTypeCurrentRPC: SerializeTypeName;
  /** Not on the wire (Java's transient processTimer): when the server began processing this request (performance.now()). */
  processStartMillis = 0;
  /** Not on the wire (Java's transient suspended): the request was parked by long polling before it was answered. */
  suspended = false;

  constructor(init: RemotingCommandInit) {
    this.code = init.code;
    this.language = init.language ?? 'JAVA';
    this.version = init.version ?? CURRENT_VERSION;
    this.opaque = init.opaque ?? takeOpaque();
    this.flag = init.flag ?? 0;
    this.remark = init.remark;
    this.ownExtFields = init.extFields;
    this.rawExtFields = init.rawExtFields;
    this.body = init.body;
    this.serializeTypeCurrentRPC = init.serializeTypeCurrentRPC ?? 'JSON';
  }

  /**
   * The custom header as strings keyed by Java field name. A decoded binary header builds this map on first use:
   * the hot paths read their header with decodeCommandCustomHeader, straight from the bytes.
   */
  get extFields(): ExtFields | undefined {
    if (this.rawExtFields !== undefined) {
      this.ownExtFields = this.rawExtFields.toExtFields();
      this.rawExtFields = undefined;
    }
    return this.ownExtFields;
  }

  set extFields(extFields: ExtFields | undefined) {
    this.rawExtFields = undefined;
    this.ownExtFields = extFields;
  }

  /** One ext field; a binary header's is read from its bytes, without building the map. */
  getExtField(key: string): string | undefined {
    if (this.rawExtFields !== undefined) return this.rawExtFields.get(key);
    const own = this.ownExtFields;
    return own !== undefined && Object.hasOwn(own, key) ? own[key] : undefined;
  }

  hasExtFields(): boolean {
    if (this.rawExtFields !== undefined) return !this.rawExtFields.isEmpty();
    return this.ownExtFields !== undefined && Object.keys(this.ownExtFields).length > 0;
  }

  /** valuesInKeyOrder of the ext fields as UTF-8 (what a signature covers); from a binary header's bytes. */
  extFieldValuesInKeyOrder(skip: readonly string[]): Buffer {
    if (this.rawExtFields !== undefined) return this.rawExtFields.valuesInKeyOrder(skip);
    return Buffer.from(valuesInKeyOrder(this.ownExtFields ?? {}, skip), 'utf8');
  }

  /** A request whose custom header fields travel as string extFields (null and undefined are dropped). */
  static createRequestCommand(code: number, header?: CustomHeader, body?: Buffer): RemotingCommand {
    return new RemotingCommand({
      code,
      extFields: header === undefined ? undefined : headerToExtFields(header),
      body,
    });
  }

  /** A response; the caller (or the server) copies the request's opaque into it. */
  static createResponseCommand(code: number, remark?: string, header?: CustomHeader): RemotingCommand {
    const response = new RemotingCommand({
      code,
      remark,
      opaque: 0,
      extFields: header === undefined ? undefined : headerToExtFields(header),
    });
    response.markResponseType();
    return response;
  }

  isResponseType(): boolean {
    return (this.flag & RPC_TYPE_RESPONSE) === RPC_TYPE_RESPONSE;
  }

  markResponseType(): void {
    this.flag |= RPC_TYPE_RESPONSE;
  }

  isOnewayRPC(): boolean {
    return (this.flag & RPC_ONEWAY) === RPC_ONEWAY;
  }

  markOnewayRPC(): void {
    this.flag |= RPC_ONEWAY;
  }

  addExtField(key: string, value: string): void {
    setOwnField((this.extFields ??= {}), key, value);
  }

  /** Reads the custom header; a missing or malformed required field throws RemotingCommandError. */
  decodeCommandCustomHeader<S extends HeaderSchema>(schema: S): DecodedHeader<S> {
    const context = (): string => this.describe();
    return this.rawExtFields !== undefined ? this.rawExtFields.decodeHeader(schema, context) : decodeCustomHeader(this.ownExtFields, schema, context);
  }

  /** "request SEND_MESSAGE(10) opaque 7" or "response SYSTEM_BUSY(2) opaque 7", for logs and errors. */
  describe(): string {
    return this.isResponseType()
      ? `response ${describeResponseCode(this.code)} opaque ${this.opaque}`
      : `request ${describeRequestCode(this.code)} opaque ${this.opaque}`;
  }
}
