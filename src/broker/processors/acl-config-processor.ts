import { javaSplit } from '../acl/permission.js';
import type { PlainAccessConfig } from '../acl/plain-acl-config.js';
import type { PlainPermissionManager } from '../acl/plain-permission-manager.js';
import { aclFileVersionJson, encodeBrokerClusterAclConfig } from '../../protocol/bodies/acl-v1.js';
import { JsonMap, toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import {
  AclConfigResponseCode,
  CreateAccessConfigRequestHeader,
  DeleteAccessConfigRequestHeader,
  UpdateGlobalWhiteAddrsConfigRequestHeader,
} from '../../protocol/headers/acl-v1.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { answeringBadInput, success } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

const NOT_ENABLED = 'ACL 1.0 is not enabled on this broker (aclEnable=false)';

/**
 * AdminBrokerProcessor's ACL 1.0 codes (50-53 as 4.9.8, 54 as 5.0-5.3.2), over the broker's PlainPermissionManager.
 * The caller was already validated by the ACL hook (these codes are admin-only here). Failures answer Java's codes
 * 209/210/211 with the reason as remark; without aclEnable Java answers a NullPointerException (or nothing),
 * we name the cause.
 */
export class AclConfigProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly manager: PlainPermissionManager | undefined,
  ) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => this.dispatch(ctx, request));
  }

  private dispatch(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    const manager = this.manager;
    switch (request.code) {
      case RequestCode.UPDATE_AND_CREATE_ACL_CONFIG: {
        const header = request.decodeCommandCustomHeader(CreateAccessConfigRequestHeader);
        if (manager === undefined) return failed(AclConfigResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED, NOT_ENABLED);
        const config: PlainAccessConfig = { accessKey: header.accessKey, secretKey: header.secretKey ?? '', admin: header.admin ?? false };
        if (header.whiteRemoteAddress !== undefined) config.whiteRemoteAddress = header.whiteRemoteAddress;
        if (header.defaultTopicPerm !== undefined) config.defaultTopicPerm = header.defaultTopicPerm;
        if (header.defaultGroupPerm !== undefined) config.defaultGroupPerm = header.defaultGroupPerm;
        if (header.topicPerms !== undefined) config.topicPerms = javaSplit(header.topicPerms, ',');
        if (header.groupPerms !== undefined) config.groupPerms = javaSplit(header.groupPerms, ',');
        this.broker.logger.info(`UpdateAndCreateAccessConfig of accessKey ${header.accessKey} called by ${ctx.remoteAddr}`);
        return outcome(manager.updateAccessConfig(config), AclConfigResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED, () => undefined);
      }
      case RequestCode.DELETE_ACL_CONFIG: {
        const { accessKey } = request.decodeCommandCustomHeader(DeleteAccessConfigRequestHeader);
        if (manager === undefined) return failed(AclConfigResponseCode.DELETE_ACL_CONFIG_FAILED, NOT_ENABLED);
        this.broker.logger.info(`DeleteAccessConfig of accessKey ${accessKey} called by ${ctx.remoteAddr}`);
        return outcome(manager.deleteAccessConfig(accessKey), AclConfigResponseCode.DELETE_ACL_CONFIG_FAILED, (deleted) =>
          deleted ? undefined : `The accesskey[${accessKey}] corresponding to accessConfig has been deleted failed.`,
        );
      }
      case RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: {
        const { globalWhiteAddrs, aclFileFullPath } = request.decodeCommandCustomHeader(UpdateGlobalWhiteAddrsConfigRequestHeader);
        if (manager === undefined) return failed(AclConfigResponseCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, NOT_ENABLED);
        this.broker.logger.info(`UpdateGlobalWhiteAddrsConfig of ${aclFileFullPath || 'the default ACL file'} called by ${ctx.remoteAddr}`);
        const updating = manager.updateGlobalWhiteAddrsConfig(javaSplit(globalWhiteAddrs, ','), aclFileFullPath);
        return outcome(updating, AclConfigResponseCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, (reason) => {
          if (reason === undefined) return undefined;
          this.broker.logger.warn(`updating the global whitelist refused: ${reason}`);
          return `The globalWhiteAddresses[${globalWhiteAddrs}] has been updated failed.`;
        });
      }
      case RequestCode.GET_BROKER_CLUSTER_ACL_INFO: {
        if (manager === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, NOT_ENABLED);
        return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, {
          version: aclFileVersionJson(manager.aclConfigVersion()),
          allAclFileVersion: toFastjson(JsonMap.of(manager.allAclFileVersions())),
          brokerName: this.broker.config.brokerName,
          brokerAddr: this.broker.brokerAddr,
          clusterName: this.broker.config.brokerClusterName,
        });
      }
      case RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG: {
        if (manager === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, NOT_ENABLED);
        return success(encodeBrokerClusterAclConfig(manager.allAclConfig()));
      }
      default:
        return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
    }
  }
}

function failed(code: number, remark: string): RemotingCommand {
  return RemotingCommand.createResponseCommand(code, remark);
}

/** SUCCESS when `refusal` finds nothing to say, else `code` with it; a failure's message is the remark. */
async function outcome<T>(pending: Promise<T>, code: number, refusal: (result: T) => string | undefined): Promise<RemotingCommand> {
  try {
    const reason = refusal(await pending);
    return reason === undefined ? success() : failed(code, reason);
  } catch (err) {
    // Java answers any failure (a bad permission, a file that cannot be written) with the code and its message.
    return failed(code, err instanceof Error ? err.message : String(err));
  }
}
