import { silentLogger, type Logger } from '../../common/logger.js';
import { enums, type MethodName } from '../../grpc/schema.js';
import type { ResponseOf } from '../../grpc/types.js';
import type { CallContext, MessagingServiceHandlers, UnaryHandler } from '../../grpc/transport/handler.js';
import type { AckMessageActivity } from './ack-message-activity.js';
import type { ClientActivity } from './client-activity.js';
import { resourceName, status, statusOfError, statusOfRemoting } from './grpc-status.js';
import type { ReceiveMessageActivity } from './receive-message-activity.js';
import type { RouteActivity } from './route-activity.js';
import type { SendMessageActivity } from './send-message-activity.js';
import type { TransactionActivity } from './transaction-activity.js';

const Code = enums.Code;

export interface MessagingServiceDeps {
  clients: ClientActivity;
  routes: RouteActivity;
  sends: SendMessageActivity;
  transactions: TransactionActivity;
  receives: ReceiveMessageActivity;
  acks: AckMessageActivity;
  /**
   * Why every RPC is refused (UNAUTHORIZED), when it is: the broker enforces ACL 1.0 or 2.0, which this endpoint does
   * not check yet, so it lets nothing in rather than everything.
   */
  refuseAll?: string | undefined;
  /** RecallMessage over the broker's recall (remoting code and remark, the UNIQ_KEY on success). */
  recall: (topic: string, recallHandle: string, peer: string) => Promise<{ code: number; remark?: string; msgId?: string }>;
  logger?: Logger;
}

/**
 * GrpcMessagingApplication.java for a broker serving MessagingService itself: every RPC's handler. Failures are
 * answered in the response's `status` (gRPC OK), never as a gRPC error — a request without x-mq-client-id is
 * CLIENT_ID_REQUIRED, a validation failure its proxy code, anything unexpected INTERNAL_SERVER_ERROR with its text.
 * Consumption (ReceiveMessage, AckMessage, ChangeInvisibleDuration, ForwardMessageToDeadLetterQueue) runs over
 * the broker's POP engine; PullMessage, the offset RPCs and SyncLiteSubscription are not served (gRPC
 * UNIMPLEMENTED), as with the Java proxy.
 */
export function messagingServiceHandlers(deps: MessagingServiceDeps): MessagingServiceHandlers {
  const logger = deps.logger ?? silentLogger;
  /** A unary RPC that needs the client id; its failures become the response status. */
  const unary = <M extends MethodName>(method: M, serve: (request: Parameters<UnaryHandler<M>>[0], clientId: string, context: CallContext) => Promise<ResponseOf<M>> | ResponseOf<M>): UnaryHandler<M> => {
    return async (request, context) => {
      if (deps.refuseAll !== undefined) return { status: status(Code.UNAUTHORIZED, deps.refuseAll) } as ResponseOf<M>;
      if (context.clientId === undefined) return { status: status(Code.CLIENT_ID_REQUIRED, 'x-mq-client-id is required: the request metadata carries no client id') } as ResponseOf<M>;
      try {
        return await serve(request, context.clientId, context);
      } catch (err) {
        const answer = statusOfError(err);
        if (answer.code === Code.INTERNAL_SERVER_ERROR) logger.error(`gRPC ${method} from ${context.clientId} failed`, err);
        return { status: answer } as ResponseOf<M>;
      }
    };
  };

  return {
    QueryRoute: unary('QueryRoute', (request, clientId) => {
      const response = deps.routes.queryRoute(request);
      deps.clients.afterQueryRoute(clientId);
      return response;
    }),
    QueryAssignment: unary('QueryAssignment', (request) => deps.routes.queryAssignment(request)),
    Heartbeat: unary('Heartbeat', (_request, clientId, context) => ({ status: deps.clients.heartbeat(clientId, context) })),
    NotifyClientTermination: unary('NotifyClientTermination', (_request, clientId) => ({ status: deps.clients.terminate(clientId) })),
    SendMessage: unary('SendMessage', (request, _clientId, context) => deps.sends.sendMessage(request, context.peer)),
    EndTransaction: unary('EndTransaction', async (request, _clientId, context) => ({ status: await deps.transactions.endTransaction(request, context.peer) })),
    RecallMessage: unary('RecallMessage', async (request, _clientId, context) => {
      const outcome = await deps.recall(resourceName(request.topic), request.recallHandle, context.peer);
      return { status: statusOfRemoting(outcome.code, outcome.remark ?? 'OK'), messageId: outcome.msgId };
    }),
    AckMessage: unary('AckMessage', (request, clientId) => deps.acks.ackMessage(request, clientId)),
    ChangeInvisibleDuration: unary('ChangeInvisibleDuration', (request, clientId) => deps.acks.changeInvisibleDuration(request, clientId)),
    ForwardMessageToDeadLetterQueue: unary('ForwardMessageToDeadLetterQueue', (request, clientId) => deps.acks.forwardToDeadLetterQueue(request, clientId)),
    ReceiveMessage: (request, context, stream) => {
      // Refusals keep the stream shape clients expect: a status element, then the delivery timestamp.
      const refused = deps.refuseAll !== undefined ? status(Code.UNAUTHORIZED, deps.refuseAll) : context.clientId === undefined ? status(Code.CLIENT_ID_REQUIRED, 'x-mq-client-id is required') : undefined;
      if (refused === undefined && context.clientId !== undefined) return deps.receives.receiveMessage(request, context.clientId, context, stream);
      stream.write({ status: refused });
      stream.write({ deliveryTimestamp: Date.now() });
      return Promise.resolve();
    },
    Telemetry: (call) => {
      if (deps.refuseAll !== undefined) {
        call.fail('INVALID_ARGUMENT', `${Code.UNAUTHORIZED} ${deps.refuseAll}`);
        return;
      }
      const clientId = call.context.clientId;
      if (clientId === undefined) {
        call.fail('INVALID_ARGUMENT', `${Code.CLIENT_ID_REQUIRED} x-mq-client-id is required`);
        return;
      }
      deps.clients.telemetry(clientId, call);
    },
  };
}
