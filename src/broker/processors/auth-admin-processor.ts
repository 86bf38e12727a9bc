import { RemotingCommandError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { ACCESS_KEY } from '../../protocol/acl-signature.js';
import { decodeAclInfo, decodeUserInfo, type AclInfo, type UserInfo } from '../../protocol/bodies/auth.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import { AclRequestHeader, DeleteAclRequestHeader, ListAclsRequestHeader, ListUsersRequestHeader, UserRequestHeader } from '../../protocol/headers/auth.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { aclFromInfo, aclToInfo, parseResource, parseSubject, policyTypeByName, userSubject } from '../auth/acl.js';
import { AuthenticationError, AuthorizationError } from '../auth/auth-errors.js';
import { userTypeByName, type AuthenticationMetadataManager, type User } from '../auth/authentication-metadata-manager.js';
import type { AuthorizationMetadataManager } from '../auth/authorization-metadata-manager.js';
import { answeringBadInput, success } from './bad-input.js';

/** Java's answer to anything but a refusal (handleAuthException). */
const SYSTEM_ERROR_REMARK = 'An system error occurred, please try again later.';

/** The user and ACL stores, each undefined when its metadata provider is not configured. */
export interface AuthAdminContext {
  readonly users: AuthenticationMetadataManager | undefined;
  readonly acls: AuthorizationMetadataManager | undefined;
  readonly logger: Logger;
}

/**
 * AdminBrokerProcessor's ACL 2.0 codes (3001-3010, 5.3.3), a thin adapter over the user and ACL managers: Java's
 * response codes and remarks (a refusal is NO_PERMISSION with the reason; a missing user or ACL is SUCCESS without
 * a body for the get codes). Only a Super user creates, updates or deletes a Super user.
 */
export class AuthAdminProcessor implements RequestProcessor {
  constructor(private readonly ctx: AuthAdminContext) {}

  processRequest(_ctx: RequestContext, request: RemotingCommand): Promise<RemotingCommand> | RemotingCommand {
    return answeringBadInput(() => this.handle(request).catch((err: unknown) => this.failed(request, err)));
  }

  private async handle(request: RemotingCommand): Promise<RemotingCommand> {
    switch (request.code) {
      case RequestCode.AUTH_CREATE_USER:
        return this.createUser(request);
      case RequestCode.AUTH_UPDATE_USER:
        return this.updateUser(request);
      case RequestCode.AUTH_DELETE_USER:
        return this.deleteUser(request);
      case RequestCode.AUTH_GET_USER:
        return this.getUser(request);
      case RequestCode.AUTH_LIST_USER: {
        const { filter } = request.decodeCommandCustomHeader(ListUsersRequestHeader);
        const users = this.users().listUsers(filter);
        return success(users.length === 0 ? undefined : json(users.map(userInfoOf)));
      }
      case RequestCode.AUTH_CREATE_ACL:
      case RequestCode.AUTH_UPDATE_ACL:
        return this.putAcl(request);
      case RequestCode.AUTH_DELETE_ACL:
        return this.deleteAcl(request);
      case RequestCode.AUTH_GET_ACL:
        return this.getAcl(request);
      case RequestCode.AUTH_LIST_ACL: {
        const { subjectFilter, resourceFilter } = request.decodeCommandCustomHeader(ListAclsRequestHeader);
        const acls = this.acls().listAcls(subjectFilter, resourceFilter);
        return success(acls.length === 0 ? undefined : json(acls.map(aclToInfo)));
      }
      default:
        return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
    }
  }

  private async createUser(request: RemotingCommand): Promise<RemotingCommand> {
    const { username } = request.decodeCommandCustomHeader(UserRequestHeader);
    if (username === undefined || username === '') return blankUsername();
    const info: UserInfo = { ...decodeUserInfo(request.body), username };
    if (userTypeByName(info.userType) === 'Super' && this.isNotSuperUserLogin(request)) {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'The super user can only be create by super user');
    }
    await this.users().createUser(info);
    return success();
  }

  private async updateUser(request: RemotingCommand): Promise<RemotingCommand> {
    const { username } = request.decodeCommandCustomHeader(UserRequestHeader);
    if (username === undefined || username === '') return blankUsername();
    const info: UserInfo = { ...decodeUserInfo(request.body), username };
    if (userTypeByName(info.userType) === 'Super' && this.isNotSuperUserLogin(request)) {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'The super user can only be update by super user');
    }
    const old = this.users().getUser(username);
    if (old === undefined) throw new AuthenticationError('The user is not exist');
    if (old.userType === 'Super' && this.isNotSuperUserLogin(request)) throw new AuthenticationError('The super user can only be update by super user');
    await this.users().updateUser(info);
    return success();
  }

  /** Deleting a user that does not exist succeeds; the user's ACL goes with it. */
  private async deleteUser(request: RemotingCommand): Promise<RemotingCommand> {
    const { username = '' } = request.decodeCommandCustomHeader(UserRequestHeader);
    const old = this.users().getUser(username);
    if (old === undefined) return success();
    if (old.userType === 'Super' && this.isNotSuperUserLogin(request)) throw new AuthenticationError('The super user can only be update by super user');
    await this.users().deleteUser(username);
    await this.acls().deleteAclOf(userSubject(username));
    return success();
  }

  private getUser(request: RemotingCommand): RemotingCommand {
    const { username } = request.decodeCommandCustomHeader(UserRequestHeader);
    if (username === undefined || username.trim() === '') return blankUsername();
    const user = this.users().getUser(username);
    return success(user === undefined ? undefined : json(userInfoOf(user)));
  }

  /** AUTH_CREATE_ACL and AUTH_UPDATE_ACL do the same in 5.3.3: merge the policies into the subject's ACL. */
  private async putAcl(request: RemotingCommand): Promise<RemotingCommand> {
    const { subject: headerSubject } = request.decodeCommandCustomHeader(AclRequestHeader);
    const info: AclInfo | undefined = request.body === undefined || request.body.length === 0 ? undefined : decodeAclInfo(request.body);
    if (info === undefined || info.policies.length === 0) {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'AuthorizationException: The body of acl is null');
    }
    const subject = parseSubject(info.subject === '' ? headerSubject : info.subject) ?? parseSubject(headerSubject);
    if (subject === undefined) return systemError();
    await this.acls().putAcl(aclFromInfo(info, subject));
    return success();
  }

  private async deleteAcl(request: RemotingCommand): Promise<RemotingCommand> {
    const header = request.decodeCommandCustomHeader(DeleteAclRequestHeader);
    const subject = parseSubject(header.subject);
    if (subject === undefined) throw new AuthorizationError('The subject is null.');
    await this.acls().deleteAcl(subject, policyTypeByName(header.policyType), parseResource(header.resource));
    return success();
  }

  /** The subject's user must exist; SUCCESS without a body when it has no ACL. */
  private getAcl(request: RemotingCommand): RemotingCommand {
    const subject = parseSubject(request.decodeCommandCustomHeader(AclRequestHeader).subject);
    if (subject === undefined) return systemError();
    if (this.users().getUser(subject.slice('User:'.length)) === undefined) throw new AuthorizationError('The subject is not exist.');
    const acl = this.acls().getAcl(subject);
    return success(acl === undefined ? undefined : json(aclToInfo(acl)));
  }

  /** A request without AccessKey comes from a broker without authentication: it may do anything. */
  private isNotSuperUserLogin(request: RemotingCommand): boolean {
    const accessKey = request.extFields?.[ACCESS_KEY];
    if (accessKey === undefined || accessKey === '') return false;
    return !this.users().isSuperUser(accessKey);
  }

  private users(): AuthenticationMetadataManager {
    if (this.ctx.users === undefined) throw new Error('The authenticationMetadataProvider is not configured');
    return this.ctx.users;
  }

  private acls(): AuthorizationMetadataManager {
    if (this.ctx.acls === undefined) throw new Error('The authorizationMetadataProvider is not configured');
    return this.ctx.acls;
  }

  /** handleAuthException: a refusal is NO_PERMISSION with its reason; anything else a generic SYSTEM_ERROR. */
  private failed(request: RemotingCommand, err: unknown): RemotingCommand {
    if (err instanceof AuthenticationError || err instanceof AuthorizationError) {
      return RemotingCommand.createResponseCommand(ResponseCode.NO_PERMISSION, err.message);
    }
    // Bad input keeps its own answer (answeringBadInput); everything else is logged and answered generically.
    if (err instanceof RemotingCommandError) throw err;
    this.ctx.logger.error(`auth admin request ${request.code} failed`, err);
    return systemError();
  }
}

function blankUsername(): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, 'The username is blank');
}

function systemError(): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, SYSTEM_ERROR_REMARK);
}

/** UserConverter.convertUser: Java's answer carries the password. */
function userInfoOf(user: User): UserInfo {
  return { username: user.username, password: user.password, userType: user.userType, userStatus: user.userStatus };
}

/** fastjson's JSON.toJSONString of the bean (fields sorted by name). */
function json(value: unknown): Buffer {
  return Buffer.from(toFastjson(value), 'utf8');
}
