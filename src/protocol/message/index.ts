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
  createMessageId,
  decodeMessageId,
  decodeMessages,
  decodeStoredMessage,
  decodeStoredMessages,
  encodeMessage,
  encodeMessages,
  encodeStoredMessage,
  readInt64,
  sysFlagForHosts,
  writeInt64,
  type DecodeOptions,
} from './message-decoder.js';
export {
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
  findMessageProperty,
  messageProperties2String,
  string2messageProperties,
} from './message-properties.js';
