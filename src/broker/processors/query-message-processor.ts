import { RemotingCommandError } from '../../common/errors.js';
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
/**
 * QueryMessageRequestHeader with the time range as text: mqadmin queryMsgByKey asks up to Long.MAX_VALUE, which
 * is no JavaScript number; a bound past 2^53 - 1 means "no bound" and is clamped to it.
 */
const QueryMessageHeader = { ...QueryMessageRequestHeader, beginTimestamp: 'string', endTimestamp: 'string' } as const;

/** QueryMessageProcessor.java: QUERY_MESSAGE (12) by key or UNIQ_KEY, VIEW_MESSAGE_BY_ID (33) by commit-log offset. */
export class QueryMessageProcessor implements RequestProcessor {
  constructor(private readonly broker: BrokerContext) {}

  processRequest(_ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => (request.code === RequestCode.QUERY_MESSAGE ? this.queryMessage(request) : this.viewMessageById(request)));
  }

  /** The body is the matching stored records back to back, as a pull body. */
  private queryMessage(request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(QueryMessageHeader);
    const maxNum = request.extFields?.[UNIQUE_MSG_QUERY_FLAG] === 'true' ? DEFAULT_QUERY_MAX_NUM : header.maxNum;
    const begin = timestampBound('beginTimestamp', header.beginTimestamp);
    const end = timestampBound('endTimestamp', header.endTimestamp);
    const result = this.broker.messageStore.queryMessage(header.topic, header.key, maxNum, begin, end);
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

/** A Java long bound as a number: beyond +-(2^53 - 1) clamped (only "unbounded" is ever that large). */
function timestampBound(field: string, text: string): number {
  if (!/^[+-]?\d{1,19}$/.test(text)) throw new RemotingCommandError(`the custom header field '${field}' of QUERY_MESSAGE is not a long: '${text.slice(0, 32)}'`);
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Number(text)));
}
