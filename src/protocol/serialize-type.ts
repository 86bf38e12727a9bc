/** SerializeType.java: the high byte of the header-length word says how the header is encoded. */
export const SerializeType = {
  JSON: 0,
  ROCKETMQ: 1,
} as const;

export type SerializeTypeName = keyof typeof SerializeType;

export function serializeTypeFromByte(byte: number): SerializeTypeName | undefined {
  if (byte === SerializeType.JSON) return 'JSON';
  if (byte === SerializeType.ROCKETMQ) return 'ROCKETMQ';
  return undefined;
}
