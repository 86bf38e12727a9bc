import { enums } from '../../grpc/schema.js';
import { parseExtraInfo, type ExtraInfo } from '../pop/extra-info.js';
import { GrpcStatusError } from './grpc-status.js';

const Code = enums.Code;

/**
 * ReceiptHandle.java as the proxy hands it to gRPC consumers: the POP engine's eight-field handle (ExtraInfoUtil's
 * POP_CK) plus the message's commit-log offset, space-separated. The offset is what ForwardMessageToDeadLetterQueue
 * needs to find the message again; ack and change-invisible give the engine the first eight fields.
 */
export interface GrpcReceiptHandle {
  /** The engine's handle (what ack / changeInvisibleTime take). */
  readonly popHandle: string;
  readonly info: ExtraInfo;
  readonly commitLogOffset: number;
}

export function buildReceiptHandle(popHandle: string, commitLogOffset: number): string {
  return `${popHandle} ${commitLogOffset}`;
}

/** A client's handle, or INVALID_RECEIPT_HANDLE naming what is wrong with it (the proxy answers garbage with 50001). */
export function parseReceiptHandle(text: string): GrpcReceiptHandle {
  const at = text.lastIndexOf(' ');
  const offsetText = text.slice(at + 1);
  if (at < 0 || !/^\d+$/.test(offsetText) || !Number.isSafeInteger(Number(offsetText))) {
    throw new GrpcStatusError(Code.INVALID_RECEIPT_HANDLE, `receipt handle is malformed: '${text.slice(0, 200)}'`);
  }
  const popHandle = text.slice(0, at);
  try {
    const info = parseExtraInfo(popHandle);
    if (popHandle.split(' ').length !== 8) throw new RangeError(`Parse failed, dataList size ${popHandle.split(' ').length + 1}`);
    return { popHandle, info, commitLogOffset: Number(offsetText) };
  } catch (err) {
    throw new GrpcStatusError(Code.INVALID_RECEIPT_HANDLE, `receipt handle is malformed: ${(err as Error).message}`);
  }
}

/** ReceiptHandle.isExpired: the message became visible again (and may be handed to someone else). */
export function isExpired(handle: GrpcReceiptHandle, now: number): boolean {
  return now >= handle.info.popTime + handle.info.invisibleTime;
}
