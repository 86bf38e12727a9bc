import { RemotingCommandError } from '../common/errors.js';
import { decodeBinaryHeader, planBinaryHeader } from './header-binary.js';
import { decodeJsonHeader, encodeJsonHeader } from './header-json.js';
import type { RemotingCommand } from './remoting-command.js';
import { SerializeType, serializeTypeFromByte } from './serialize-type.js';

/**
 * Frame = totalLength:int32 | serializeType:int8 headerLength:int24 | header | body, where totalLength counts
 * everything after itself (NettyEncoder / NettyDecoder).
 */

/** Bodies up to this size are copied into the frame buffer: one write beats two for small frames. */
const INLINE_BODY_LIMIT = 16 * 1024;

/** Encodes a command into one buffer, or two (head + body) when the body is large enough not to copy. */
export function encodeFrame(cmd: RemotingCommand): Buffer[] {
  const body = cmd.body;
  const bodyLength = body === undefined ? 0 : body.length;
  const inline = bodyLength <= INLINE_BODY_LIMIT;
  let headerLength: number;
  let writeHeader: (target: Buffer, offset: number) => void;
  let typeByte: number;
  if (cmd.serializeTypeCurrentRPC === 'ROCKETMQ') {
    const plan = planBinaryHeader(cmd);
    headerLength = plan.length;
    writeHeader = plan.write;
    typeByte = SerializeType.ROCKETMQ;
  } else {
    const json = encodeJsonHeader(cmd);
    headerLength = Buffer.byteLength(json);
    writeHeader = (target, offset) => target.write(json, offset, 'utf8');
    typeByte = SerializeType.JSON;
  }
  if (headerLength > 0xffffff) throw new RemotingCommandError(`header too long: ${headerLength} bytes`);
  const head = Buffer.allocUnsafe(8 + headerLength + (inline ? bodyLength : 0));
  head.writeInt32BE(4 + headerLength + bodyLength, 0);
  head.writeUInt32BE(((typeByte << 24) | headerLength) >>> 0, 4);
  writeHeader(head, 8);
  if (body === undefined || bodyLength === 0) return [head];
  if (inline) {
    body.copy(head, 8 + headerLength);
    return [head];
  }
  return [head, body];
}

/** Encodes a command into a single buffer (tests, fixtures, tools). */
export function encodeCommand(cmd: RemotingCommand): Buffer {
  const parts = encodeFrame(cmd);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/**
 * Decodes one frame without its leading totalLength word (what FrameDecoder yields). The body is a view into
 * `frame`, not a copy.
 */
export function decodeFrame(frame: Buffer): RemotingCommand {
  if (frame.length < 4) throw new RemotingCommandError(`frame too short: ${frame.length} bytes`);
  const word = frame.readUInt32BE(0);
  const typeByte = word >>> 24;
  const headerLength = word & 0xffffff;
  if (headerLength > frame.length - 4) {
    throw new RemotingCommandError(`decode error, bad header length: ${headerLength} > ${frame.length - 4}`);
  }
  const serializeType = serializeTypeFromByte(typeByte);
  let cmd: RemotingCommand;
  if (serializeType === 'ROCKETMQ') {
    cmd = decodeBinaryHeader(frame, 4, headerLength);
  } else if (serializeType === 'JSON') {
    cmd = decodeJsonHeader(frame.toString('utf8', 4, 4 + headerLength));
  } else {
    throw new RemotingCommandError(`unknown serialize type ${typeByte}`);
  }
  const bodyStart = 4 + headerLength;
  if (bodyStart < frame.length) cmd.body = frame.subarray(bodyStart);
  return cmd;
}

/** Decodes one whole frame including its totalLength word; the length must match exactly. */
export function decodeCommand(bytes: Buffer): RemotingCommand {
  if (bytes.length < 4) throw new RemotingCommandError(`frame too short: ${bytes.length} bytes`);
  const total = bytes.readInt32BE(0);
  if (total !== bytes.length - 4) {
    throw new RemotingCommandError(`frame length ${total} does not match the ${bytes.length - 4} bytes given`);
  }
  return decodeFrame(bytes.subarray(4));
}
