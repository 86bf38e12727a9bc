import { ACCESS_KEY, SIGNATURE, UNIQUE_MSG_QUERY_FLAG, combineRequestContent } from '../../protocol/acl-signature.js';
import { decodeHeartbeatData } from '../../protocol/bodies/heartbeat-data.js';
import { GetConsumerListByGroupRequestHeader, UnregisterClientRequestHeader, UpdateConsumerOffsetRequestHeader } from '../../protocol/headers/broker.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import type { RPCHook } from '../../remoting/rpc-hook.js';
import { AclException } from './acl-exception.js';
import { Permission, isRetryTopic, retryTopic } from './permission.js';
import type { AccessRequest, PlainPermissionManager } from './plain-permission-manager.js';

/**
 * PlainAccessValidator.java as BrokerController#initialAcl registers it: a server RPC hook that validates every
 * request before its processor runs. A denial throws AclException, which the remoting layer answers with
 * SYSTEM_ERROR (1) and the exception as remark (nothing for a oneway request); the processor never sees it, so a
 * denied request has no effect.
 */
export class PlainAccessValidator implements RPCHook {
  constructor(private readonly manager: PlainPermissionManager) {}

  doBeforeRequest(remoteAddr: string, request: RemotingCommand): void {
    this.manager.validate(parseAccessRequest(request, remoteAddr));
  }

  doAfterResponse(): void {}
}

/** "host:port" or "[v6]:port" to the host, as Java cuts the remote address at its last ':'. */
export function hostOf(remoteAddr: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(remoteAddr);
  if (v6 !== null) return v6[1] as string;
  const colon = remoteAddr.lastIndexOf(':');
  return colon < 0 ? remoteAddr : remoteAddr.slice(0, colon);
}

/**
 * PlainAccessValidator.parse (4.9.8): who signs, the signed content (every ext field but Signature and
 * _UNIQUE_KEY_QUERY, then the body) and the resources the code needs. Beyond 4.9.8, SEND_BATCH_MESSAGE (320) is
 * checked like SEND_MESSAGE_V2 and RECALL_MESSAGE (370) needs PUB on its topic, as 5.x's ACL 1.0 does: 4.9.8 let
 * any signed account send batches anywhere (apache/rocketmq#5303).
 */
export function parseAccessRequest(request: RemotingCommand, remoteAddr: string): AccessRequest {
  const ext = request.extFields;
  const base = { remoteAddr: hostOf(remoteAddr), code: request.code };
  if (ext === undefined) return { ...base, resources: new Map() };
  const resources = new Map<string, number>();
  const add = (resource: string | undefined, perm: number): void => {
    if (resource !== undefined) resources.set(resource, perm);
  };
  const addRetry = (group: string | undefined): void => add(group === undefined ? undefined : retryTopic(group), Permission.SUB);
  try {
    switch (request.code) {
      case RequestCode.SEND_MESSAGE: {
        // Java reads "group", which SendMessageRequestHeader does not have: a retry send by code 10 checks nothing.
        const topic = ext['topic'];
        if (isRetryTopic(topic)) addRetry(ext['group']);
        else add(topic, Permission.PUB);
        break;
      }
      case RequestCode.SEND_MESSAGE_V2:
      case RequestCode.SEND_BATCH_MESSAGE: {
        const topic = ext['b'];
        if (isRetryTopic(topic)) addRetry(ext['a']);
        else add(topic, Permission.PUB);
        break;
      }
      case RequestCode.RECALL_MESSAGE:
        add(ext['topic'], Permission.PUB);
        break;
      case RequestCode.CONSUMER_SEND_MSG_BACK:
        addRetry(ext['group']);
        break;
      case RequestCode.PULL_MESSAGE:
        add(ext['topic'], Permission.SUB);
        addRetry(ext['consumerGroup']);
        break;
      case RequestCode.QUERY_MESSAGE:
        add(ext['topic'], Permission.SUB);
        break;
      case RequestCode.HEART_BEAT:
        for (const consumer of decodeHeartbeatData(request.body).consumerDataSet) {
          addRetry(consumer.groupName);
          for (const subscription of consumer.subscriptionDataSet) add(subscription.topic, Permission.SUB);
        }
        break;
      case RequestCode.UNREGISTER_CLIENT:
        addRetry(request.decodeCommandCustomHeader(UnregisterClientRequestHeader).consumerGroup);
        break;
      case RequestCode.GET_CONSUMER_LIST_BY_GROUP:
        addRetry(request.decodeCommandCustomHeader(GetConsumerListByGroupRequestHeader).consumerGroup);
        break;
      case RequestCode.UPDATE_CONSUMER_OFFSET: {
        const header = request.decodeCommandCustomHeader(UpdateConsumerOffsetRequestHeader);
        addRetry(header.consumerGroup);
        add(header.topic, Permission.SUB);
        break;
      }
      default:
        break;
    }
  } catch (err) {
    throw new AclException((err as Error).message, { cause: err });
  }
  return {
    ...base,
    accessKey: ext[ACCESS_KEY],
    signature: ext[SIGNATURE],
    content: combineRequestContent(ext, request.body, UNIQUE_MSG_QUERY_FLAG),
    resources,
  };
}
