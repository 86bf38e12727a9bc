import { crc32Masked } from '../../common/crc32.js';
import { RemotingCommandError } from '../../common/errors.js';
import { parseJavaProperties } from '../../common/java-properties.js';
import { encodeClusterInfo } from '../../protocol/bodies/cluster-info.js';
import { decodeDataVersion, encodeDataVersion } from '../../protocol/bodies/data-version.js';
import { encodeKVTable } from '../../protocol/bodies/kv-table.js';
import { decodeRegisterBrokerBody } from '../../protocol/bodies/register-broker-body.js';
import { encodeTopicList } from '../../protocol/bodies/topic-list.js';
import { decodeTopicRouteData } from '../../protocol/bodies/topic-route-data.js';
import * as H from '../../protocol/headers/namesrv.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RemotingChannel } from '../../remoting/remoting-channel.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { NamesrvConfigError, formatNamesrvConfig } from '../config.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG } from '../kv-config-manager.js';
import { answeringBadInput } from './bad-input.js';
import type { NamesrvContext } from './namesrv-context.js';

/** MixAll.ZONE_NAME: the ext field a 5.x broker names its zone with. */
const ZONE_NAME = '__ZONE_NAME';

/** DefaultRequestProcessor.java: every name-server code but GET_ROUTEINFO_BY_TOPIC. */
export class DefaultRequestProcessor implements RequestProcessor {
  constructor(private readonly namesrv: NamesrvContext) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => this.dispatch(ctx.channel, request));
  }

  private dispatch(channel: RemotingChannel, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    switch (request.code) {
      case RequestCode.PUT_KV_CONFIG:
        return this.putKVConfig(request);
      case RequestCode.GET_KV_CONFIG:
        return this.getKVConfig(request);
      case RequestCode.DELETE_KV_CONFIG:
        return this.deleteKVConfig(request);
      case RequestCode.QUERY_DATA_VERSION:
        return this.queryBrokerTopicConfig(request);
      case RequestCode.REGISTER_BROKER:
        return this.registerBroker(channel, request);
      case RequestCode.UNREGISTER_BROKER:
        return this.unregisterBroker(request);
      case RequestCode.BROKER_HEARTBEAT:
        return this.brokerHeartbeat(request);
      case RequestCode.GET_BROKER_CLUSTER_INFO:
        return success(encodeClusterInfo(this.namesrv.routeInfoManager.getAllClusterInfo()));
      case RequestCode.WIPE_WRITE_PERM_OF_BROKER: {
        const { brokerName } = request.decodeCommandCustomHeader(H.WipeWritePermOfBrokerRequestHeader);
        const wipeTopicCount = this.namesrv.routeInfoManager.wipeWritePermOfBroker(brokerName);
        this.namesrv.logger.info(`wipe write perm of broker ${brokerName}: ${wipeTopicCount} topics`);
        return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { wipeTopicCount });
      }
      case RequestCode.ADD_WRITE_PERM_OF_BROKER: {
        const { brokerName } = request.decodeCommandCustomHeader(H.AddWritePermOfBrokerRequestHeader);
        const addTopicCount = this.namesrv.routeInfoManager.addWritePermOfBroker(brokerName);
        this.namesrv.logger.info(`add write perm of broker ${brokerName}: ${addTopicCount} topics`);
        return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { addTopicCount });
      }
      case RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER:
        if (!this.namesrv.config.enableAllTopicList) return disabled();
        return success(encodeTopicList(this.namesrv.routeInfoManager.getAllTopicList()));
      case RequestCode.DELETE_TOPIC_IN_NAMESRV: {
        const { topic, clusterName } = request.decodeCommandCustomHeader(H.DeleteTopicFromNamesrvRequestHeader);
        this.namesrv.routeInfoManager.deleteTopic(topic, clusterName);
        return success();
      }
      case RequestCode.REGISTER_TOPIC_IN_NAMESRV:
        return this.registerTopicToNamesrv(request);
      case RequestCode.GET_KVLIST_BY_NAMESPACE:
        return this.getKVListByNamespace(request);
      case RequestCode.GET_TOPICS_BY_CLUSTER: {
        if (!this.namesrv.config.enableTopicList) return disabled();
        const { cluster } = request.decodeCommandCustomHeader(H.GetTopicsByClusterRequestHeader);
        return success(encodeTopicList(this.namesrv.routeInfoManager.getTopicsByCluster(cluster)));
      }
      case RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS:
        return success(encodeTopicList(this.namesrv.routeInfoManager.getSystemTopicList()));
      case RequestCode.UPDATE_NAMESRV_CONFIG:
        return this.updateConfig(request);
      case RequestCode.GET_NAMESRV_CONFIG:
        return success(Buffer.from(formatNamesrvConfig(this.namesrv.config), 'utf8'));
      default:
        return RemotingCommand.createResponseCommand(
          ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
          ` request type ${request.code} not supported`,
        );
    }
  }

  private async putKVConfig(request: RemotingCommand): Promise<RemotingCommand> {
    const { namespace, key, value } = request.decodeCommandCustomHeader(H.PutKVConfigRequestHeader);
    await this.namesrv.kvConfigManager.putKVConfig(namespace, key, value);
    return success();
  }

  private getKVConfig(request: RemotingCommand): RemotingCommand {
    const { namespace, key } = request.decodeCommandCustomHeader(H.GetKVConfigRequestHeader);
    const value = this.namesrv.kvConfigManager.getKVConfig(namespace, key);
    if (value === undefined) {
      return RemotingCommand.createResponseCommand(ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace} Key: ${key}`);
    }
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { value });
  }

  private async deleteKVConfig(request: RemotingCommand): Promise<RemotingCommand> {
    const { namespace, key } = request.decodeCommandCustomHeader(H.DeleteKVConfigRequestHeader);
    await this.namesrv.kvConfigManager.deleteKVConfig(namespace, key);
    return success();
  }

  private getKVListByNamespace(request: RemotingCommand): RemotingCommand {
    const { namespace } = request.decodeCommandCustomHeader(H.GetKVListByNamespaceRequestHeader);
    const table = this.namesrv.kvConfigManager.getKVListByNamespace(namespace);
    if (table === undefined) {
      return RemotingCommand.createResponseCommand(ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace}`);
    }
    return success(encodeKVTable(table));
  }

  private registerBroker(channel: RemotingChannel, request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(H.RegisterBrokerRequestHeader);
    const bodyCrc32 = header.bodyCrc32 ?? 0;
    if (bodyCrc32 !== 0 && crc32Masked(request.body) !== bodyCrc32) {
      this.namesrv.logger.warn(`register broker ${header.brokerName} from ${channel.remoteAddr}: crc32 not match`);
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'crc32 not match');
    }
    const body = decodeRegisterBrokerBody(request.body, header.compressed === true, request.version);
    const result = this.namesrv.routeInfoManager.registerBroker({
      clusterName: header.clusterName,
      brokerAddr: header.brokerAddr,
      brokerName: header.brokerName,
      brokerId: header.brokerId,
      haServerAddr: header.haServerAddr,
      zoneName: request.extFields?.[ZONE_NAME],
      heartbeatTimeoutMillis: header.heartbeatTimeoutMillis,
      enableActingMaster: header.enableActingMaster,
      topicConfigWrapper: body.topicConfigSerializeWrapper,
      channel,
    });
    if (result === null) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'register broker failed');
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, {
      haServerAddr: result.haServerAddr,
      masterAddr: result.masterAddr,
    });
    if (this.namesrv.config.returnOrderTopicConfigToBroker) {
      const orderTopics = this.namesrv.kvConfigManager.getKVListByNamespace(NAMESPACE_ORDER_TOPIC_CONFIG);
      if (orderTopics !== undefined) response.body = encodeKVTable(orderTopics);
    }
    return response;
  }

  private unregisterBroker(request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(H.UnRegisterBrokerRequestHeader);
    this.namesrv.routeInfoManager.unregisterBroker(header);
    this.namesrv.logger.info(`broker ${header.brokerName} (${header.brokerAddr}, id ${header.brokerId}) unregistered`);
    return success();
  }

  /** QUERY_DATA_VERSION: did the broker's topic config change since it registered? Also a heartbeat (as 5.x). */
  private queryBrokerTopicConfig(request: RemotingCommand): RemotingCommand {
    const { clusterName, brokerAddr } = request.decodeCommandCustomHeader(H.QueryDataVersionRequestHeader);
    const manager = this.namesrv.routeInfoManager;
    const dataVersion = request.body === undefined ? undefined : decodeDataVersion(request.body);
    const changed = dataVersion === undefined || manager.isBrokerTopicConfigChanged(clusterName, brokerAddr, dataVersion);
    manager.updateBrokerInfoUpdateTimestamp(clusterName, brokerAddr);
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { changed });
    const stored = manager.queryBrokerTopicConfig(clusterName, brokerAddr);
    if (stored !== undefined) response.body = encodeDataVersion(stored);
    return response;
  }

  private brokerHeartbeat(request: RemotingCommand): RemotingCommand {
    const { clusterName, brokerAddr } = request.decodeCommandCustomHeader(H.BrokerHeartbeatRequestHeader);
    this.namesrv.routeInfoManager.updateBrokerInfoUpdateTimestamp(clusterName, brokerAddr);
    return success();
  }

  private registerTopicToNamesrv(request: RemotingCommand): RemotingCommand {
    const { topic } = request.decodeCommandCustomHeader(H.RegisterTopicRequestHeader);
    if (request.body !== undefined) {
      const route = decodeTopicRouteData(request.body);
      if (route.queueDatas.length > 0 && !this.namesrv.routeInfoManager.registerTopic(topic, route.queueDatas)) {
        // Java logs and answers SUCCESS; so do we, the caller cannot do anything else about it.
        this.namesrv.logger.warn(`register topic ${topic}: its queue data names a broker that is not registered`);
      }
    }
    return success();
  }

  private updateConfig(request: RemotingCommand): RemotingCommand {
    if (request.body === undefined) return success();
    let properties: Map<string, string>;
    try {
      properties = parseJavaProperties(request.body.toString('utf8'));
    } catch (err) {
      throw new RemotingCommandError(`string2Properties error: ${(err as Error).message}`);
    }
    try {
      this.namesrv.updateConfig(properties);
    } catch (err) {
      if (!(err instanceof NamesrvConfigError)) throw err;
      const code = err.forbidden ? ResponseCode.NO_PERMISSION : ResponseCode.SYSTEM_ERROR;
      return RemotingCommand.createResponseCommand(code, err.message);
    }
    return success();
  }
}

function success(body?: Buffer): RemotingCommand {
  const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  response.body = body;
  return response;
}

function disabled(): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'disable');
}
