export { Message, MessageExt, MessageExtBrokerInner, MessageExtBatch, javaStringHashCode, tagsString2tagsCode } from './message.js';
export { MessageConst } from './message-const.js';
export { MessageSysFlag, getTransactionValue } from './message-sys-flag.js';
export {
  addressBytes,
  formatAddressBytes,
  parseHostAddress,
  type HostAddress,
} from './host-address.js';
export {
  BLANK_MAGIC_CODE,
  MAX_PROPERTIES_LENGTH,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  PHY_POS_POSITION,
  QUEUE_OFFSET_POSITION,
  SYSFLAG_POSITION,
  calMsgLength,
  checkStoredRecord,
  decodeMessages,
  decodeStoredMessage,
  decodeStoredMessages,
  encodeMessage,
  encodeMessages,
  encodeStoredMessage,
  readStoredDispatchFields,
  readStoredPropertiesString,
  readStoredTopic,
  sysFlagForHosts,
  type DecodeOptions,
  type StoredDispatchFields,
} from './message-decoder.js';
export {
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
  findMessageProperty,
  messageProperties2String,
  string2messageProperties,
} from './message-properties.js';
export { readInt64, writeInt64 } from './int64.js';
export { createMessageId, decodeMessageId } from './message-id.js';
