import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MQVersion } from '../../protocol/language-code.js';
import { encodeTopicRouteData } from '../../protocol/bodies/topic-route-data.js';
import { GetRouteInfoRequestHeader } from '../../protocol/headers/namesrv.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG } from '../kv-config-manager.js';
import type { NamesrvContext } from './namesrv-context.js';
import { answeringBadInput } from './bad-input.js';

/** FAQUrl.suggestTodo(FAQUrl.APPLY_TOPIC_URL), appended to "no route" remarks as Java does. */
export const APPLY_TOPIC_FAQ = '\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.';

/**
 * ClientRequestProcessor.java: GET_ROUTEINFO_BY_TOPIC, on its own executor as in Java. Clients ask for the same
 * routes over and over while routes rarely change, so encoded bodies are cached until the route version moves
 * (encoding was two thirds of the name server's CPU under load).
 */
export class ClientRequestProcessor implements RequestProcessor {
  private readonly encodedRoutes = new Map<string, { standard?: Buffer; fastjson?: Buffer }>();
  private encodedRoutesVersion = -1;

  constructor(private readonly namesrv: NamesrvContext) {}

  processRequest(_ctx: RequestContext, request: RemotingCommand): RemotingCommand {
    return answeringBadInput(() => this.getRouteInfoByTopic(request));
  }

  private getRouteInfoByTopic(request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(GetRouteInfoRequestHeader);
    const { config, routeInfoManager, kvConfigManager } = this.namesrv;
    if (config.needWaitForService && Date.now() - this.namesrv.startupTimeMillis < config.waitSecondsForService * 1000) {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'name server not ready');
    }
    const standard = request.version >= MQVersion.V4_9_4 || header.acceptStandardJsonOnly === true;
    // Order-topic config comes from the KV store, outside the route version: no caching then.
    const cacheable = !config.orderMessageEnable;
    if (cacheable && this.encodedRoutesVersion !== routeInfoManager.routeVersion) {
      this.encodedRoutes.clear();
      this.encodedRoutesVersion = routeInfoManager.routeVersion;
    }
    const cached = cacheable ? this.encodedRoutes.get(header.topic) : undefined;
    const cachedBody = standard ? cached?.standard : cached?.fastjson;
    if (cachedBody !== undefined) return success(cachedBody);
    const route = routeInfoManager.pickupTopicRouteData(header.topic);
    if (route === null) {
      return RemotingCommand.createResponseCommand(
        ResponseCode.TOPIC_NOT_EXIST,
        `No topic route info in name server for the topic: ${header.topic}${APPLY_TOPIC_FAQ}`,
      );
    }
    if (config.orderMessageEnable) route.orderTopicConf = kvConfigManager.getKVConfig(NAMESPACE_ORDER_TOPIC_CONFIG, header.topic);
    const body = encodeTopicRouteData(route, standard);
    if (cacheable) {
      const entry = cached ?? {};
      if (standard) entry.standard = body;
      else entry.fastjson = body;
      this.encodedRoutes.set(header.topic, entry);
    }
    return success(body);
  }
}

function success(body: Buffer): RemotingCommand {
  const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  response.body = body;
  return response;
}
