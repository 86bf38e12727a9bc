import { enums } from '../../grpc/schema.js';
import type { MsgInit } from '../../grpc/types.js';
import { getNamespaceFromResource, withoutAnyNamespace, wrapNamespace } from '../../protocol/namespace-util.js';
import { ResponseCode } from '../../protocol/response-code.js';

const Code = enums.Code;

export type Status = MsgInit<'Status'> & { code: number; message: string };

export function status(code: number, message: string): Status {
  return { code, message };
}

export const OK: Status = status(Code.OK, 'OK');

/**
 * A request refused with an `apache.rocketmq.v2.Code`: thrown by validations, answered as the response's status
 * (never as a gRPC error), as the proxy's GrpcProxyException.
 */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcStatusError';
  }
}

/**
 * ResponseBuilder.buildCode: a remoting response code as a gRPC status code. Java maps four codes and answers
 * INTERNAL_SERVER_ERROR for the rest; we also map those a broker-native endpoint meets on its send path (the
 * proxy gets them as exceptions it maps elsewhere, e.g. TOPIC_NOT_EXIST to TOPIC_NOT_FOUND).
 */
const REMOTING_TO_GRPC: ReadonlyMap<number, number> = new Map([
  [ResponseCode.SUCCESS, Code.OK],
  [ResponseCode.SYSTEM_BUSY, Code.TOO_MANY_REQUESTS],
  [ResponseCode.REQUEST_CODE_NOT_SUPPORTED, Code.NOT_IMPLEMENTED],
  [ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, Code.CONSUMER_GROUP_NOT_FOUND],
  [ResponseCode.TOPIC_NOT_EXIST, Code.TOPIC_NOT_FOUND],
  [ResponseCode.NO_PERMISSION, Code.FORBIDDEN],
  [ResponseCode.FLUSH_DISK_TIMEOUT, Code.MASTER_PERSISTENCE_TIMEOUT],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, Code.SLAVE_PERSISTENCE_TIMEOUT],
  [ResponseCode.SLAVE_NOT_AVAILABLE, Code.HA_NOT_AVAILABLE],
]);

export function codeOfRemoting(remotingCode: number): number {
  return REMOTING_TO_GRPC.get(remotingCode) ?? Code.INTERNAL_SERVER_ERROR;
}

/** ResponseBuilder.buildStatus(int, String): the remark, or the remoting code when there is none. */
export function statusOfRemoting(remotingCode: number, remark: string | undefined): Status {
  return status(codeOfRemoting(remotingCode), remark ?? String(remotingCode));
}

/**
 * A Resource's wire name (topic or group): its name in its namespace, "ns%name", as Java's proxy makes it
 * (NamespaceUtil.wrapNamespace), so a 5.x SDK and a remoting client of one namespace meet on the same topics.
 */
export function resourceName(resource: { resourceNamespace: string; name: string } | undefined): string {
  return wrapNamespace(resource?.resourceNamespace, resource?.name ?? '');
}

/** GrpcConverter: a wire name back as a Resource, namespace split off. */
export function resourceOf(wireName: string): { resourceNamespace: string; name: string } {
  return { resourceNamespace: getNamespaceFromResource(wireName), name: withoutAnyNamespace(wireName) };
}

/** What an unexpected failure is answered with: INTERNAL_SERVER_ERROR and the error's text; a GrpcStatusError keeps its code. */
export function statusOfError(err: unknown): Status {
  if (err instanceof GrpcStatusError) return status(err.code, err.message);
  return status(Code.INTERNAL_SERVER_ERROR, err instanceof Error ? err.message : String(err));
}
