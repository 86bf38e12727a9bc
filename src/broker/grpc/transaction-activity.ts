import { silentLogger, type Logger } from '../../common/logger.js';
import { enums } from '../../grpc/schema.js';
import type { Msg } from '../../grpc/types.js';
import { decodeStoredMessage, MessageSysFlag } from '../../protocol/message/index.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { TransactionalMessageService } from '../transaction/transactional-message-service.js';
import type { GrpcClientChannel } from './grpc-client-channel.js';
import { OK, resourceName, status, statusOfRemoting, type Status } from './grpc-status.js';
import { toProtoMessage } from './message-converter.js';

const Code = enums.Code;

/** Where a half message is: what END_TRANSACTION needs besides the producer group. */
interface HalfLocation {
  tranStateTableOffset: number;
  commitLogOffset: number;
}

/** How many transaction ids are remembered (oldest forgotten first): a bound, as the proxy's expiring table. */
const MAX_TRANSACTIONS = 100_000;

/** The parts of CHECK_TRANSACTION_STATE's header an orphan check needs. */
export interface OrphanCheck {
  tranStateTableOffset: number;
  commitLogOffset: number;
  transactionId: string;
}

/**
 * EndTransactionActivity.java with the proxy's TransactionDataManager, for a broker that is its own endpoint:
 * transactionId → where the half message is, learnt from each transactional send and from each orphan check, so
 * that EndTransaction(topic, message id, transaction id) becomes the broker's end-transaction (producer group =
 * topic, as the send stored it). An orphaned half message is pushed to a live producer of its topic as a
 * RecoverOrphanedTransactionCommand on its Telemetry stream; the producer answers with EndTransaction(source
 * SOURCE_SERVER_CHECK).
 */
export class TransactionActivity {
  private readonly halves = new Map<string, HalfLocation>();
  private readonly logger: Logger;

  constructor(
    private readonly transactions: TransactionalMessageService,
    logger?: Logger,
  ) {
    this.logger = logger ?? silentLogger;
  }

  /** A transactional send stored its half message here. */
  remember(producerGroup: string, transactionId: string, location: HalfLocation): void {
    const key = `${producerGroup}\u0001${transactionId}`;
    this.halves.delete(key);
    this.halves.set(key, location);
    if (this.halves.size > MAX_TRANSACTIONS) {
      const oldest = this.halves.keys().next().value;
      if (oldest !== undefined) this.halves.delete(oldest);
    }
  }

  async endTransaction(request: Msg<'EndTransactionRequest'>, peer: string): Promise<Status> {
    const topic = resourceName(request.topic);
    if (request.transactionId.trim() === '') return status(Code.INVALID_TRANSACTION_ID, 'transaction id cannot be empty');
    const resolution = request.resolution;
    if (resolution !== enums.TransactionResolution.COMMIT && resolution !== enums.TransactionResolution.ROLLBACK) {
      return status(Code.BAD_REQUEST, `transaction resolution must be COMMIT or ROLLBACK, got ${resolution}`);
    }
    const key = `${topic}\u0001${request.transactionId}`;
    const half = this.halves.get(key);
    if (half === undefined) {
      return status(Code.INVALID_TRANSACTION_ID, `transaction ${request.transactionId} of topic ${topic} is unknown or expired: the broker's check will ask the producer again`);
    }
    const outcome = await this.transactions.endTransaction(
      {
        producerGroup: topic,
        tranStateTableOffset: half.tranStateTableOffset,
        commitLogOffset: half.commitLogOffset,
        commitOrRollback: resolution === enums.TransactionResolution.COMMIT ? MessageSysFlag.TRANSACTION_COMMIT_TYPE : MessageSysFlag.TRANSACTION_ROLLBACK_TYPE,
        fromTransactionCheck: request.source === enums.TransactionSource.SOURCE_SERVER_CHECK,
        msgId: request.messageId,
      },
      peer,
      undefined,
    );
    if (outcome === undefined || outcome.code === ResponseCode.SUCCESS) {
      this.halves.delete(key);
      return OK;
    }
    return statusOfRemoting(outcome.code, outcome.remark);
  }

  /**
   * The broker's check found a half message whose producer group (= topic) has a gRPC producer: the message goes
   * down that producer's Telemetry stream. Resolves once written; false when the stream is gone.
   */
  checkOrphan(channel: GrpcClientChannel, group: string, check: OrphanCheck, body: Buffer): boolean {
    const message = decodeStoredMessage(body);
    this.remember(group, check.transactionId, { tranStateTableOffset: check.tranStateTableOffset, commitLogOffset: check.commitLogOffset });
    const pushed = channel.push({ recoverOrphanedTransactionCommand: { message: toProtoMessage(message), transactionId: check.transactionId } });
    if (!pushed) this.logger.warn(`orphaned transaction ${check.transactionId} of ${group}: the producer ${channel.clientId} has no Telemetry stream`);
    return pushed;
  }
}
