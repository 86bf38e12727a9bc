import { QueryMessageRequestHeader, ViewMessageRequestHeader } from '../../protocol/headers/broker.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/** MixAll.UNIQUE_MSG_QUERY_FLAG: a query by UNIQ_KEY (mqadmin queryMsgByUniqueKey), capped at defaultQueryMaxNum. */
const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';
/** MessageStoreConfig.defaultQueryMaxNum. */
const DEFAULT_QUERY_MAX_NUM = 32;

/** QueryMessageProcessor.java: QUERY_MESSAGE (12) by key or UNIQ_KEY, VIEW_MESSAGE_BY_ID (33) by commit-log offset. */
export class QueryMessageProcessor implements RequestProcessor {
  constructor(private readonly broker: BrokerContext) {}

  processRequest(_ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => (request.code === RequestCode.QUERY_MESSAGE ? this.queryMessage(request) : this.viewMessageById(request)));
  }

  /** The body is the matching stored records back to back, as a pull body. */
  private queryMessage(request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(QueryMessageRequestHeader);
    const maxNum = request.extFields?.[UNIQUE_MSG_QUERY_FLAG] === 'true' ? DEFAULT_QUERY_MAX_NUM : header.maxNum;
    const result = this.broker.messageStore.queryMessage(header.topic, header.key, maxNum, header.beginTimestamp, header.endTimestamp);
    const index = { indexLastUpdateTimestamp: result.indexLastUpdateTimestamp, indexLastUpdatePhyoffset: result.indexLastUpdatePhyoffset };
    if (result.messages.length === 0) {
      return RemotingCommand.createResponseCommand(ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct', index);
    }
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, index);
    response.body = Buffer.concat(result.messages);
    return response;
  }

  /** The body is the one stored record at the offset (mqadmin queryMsgById decodes it). */
  private viewMessageById(request: RemotingCommand): RemotingCommand {
    const { offset } = request.decodeCommandCustomHeader(ViewMessageRequestHeader);
    const record = this.broker.messageStore.selectOneMessageByOffset(offset);
    if (record === null) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${offset}`);
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    response.body = record;
    return response;
  }
}
