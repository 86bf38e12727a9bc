export { RemotingCommand, type RemotingCommandInit } from './remoting-command.js';
export { RequestCode, describeRequestCode, type RequestCodeName } from './request-code.js';
export { ResponseCode, describeResponseCode, type ResponseCodeName } from './response-code.js';
export { LanguageCode, MQVersion, CURRENT_VERSION, type LanguageName } from './language-code.js';
export { SerializeType, type SerializeTypeName } from './serialize-type.js';
export {
  decodeCustomHeader,
  headerToExtFields,
  type CustomHeader,
  type DecodedHeader,
  type ExtFields,
  type FieldSpec,
  type HeaderSchema,
  type HeaderValue,
} from './custom-header.js';
export { encodeFrame, encodeCommand, decodeFrame, decodeCommand } from './command-codec.js';
export { FrameDecoder, DEFAULT_MAX_FRAME_LENGTH } from './frame-decoder.js';
export { parseLenientJson, type JsonValue } from './lenient-json.js';
export { PermName } from './perm-name.js';
