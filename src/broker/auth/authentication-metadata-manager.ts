import type { Logger } from '../../common/logger.js';
import { decodeUserInfoList, type UserInfo } from '../../protocol/bodies/auth.js';
import { ConfigManager } from '../config-manager.js';
import type { ConfigStore } from '../config-store.js';
import { AuthenticationError } from './auth-errors.js';

export type UserType = 'Super' | 'Normal';
export type UserStatus = 'enable' | 'disable';

/** User.java: who may sign requests, with the password they sign with. */
export interface User {
  username: string;
  password: string;
  userType: UserType;
  userStatus: UserStatus;
}

/** UserType/UserStatus.getByName: ignoring case; undefined when unknown. */
export function userTypeByName(name: string | undefined): UserType | undefined {
  const lower = name?.toLowerCase();
  return lower === 'super' ? 'Super' : lower === 'normal' ? 'Normal' : undefined;
}

export function userStatusByName(name: string | undefined): UserStatus | undefined {
  const lower = name?.toLowerCase();
  return lower === 'enable' ? 'enable' : lower === 'disable' ? 'disable' : undefined;
}

/** The stored file: the users as AUTH_LIST_USER answers them (Java keeps them in RocksDB under config/users). */
export const USERS_FILE = 'users.json';

const isBlank = (s: string | undefined): boolean => s === undefined || s.trim() === '';

/**
 * AuthenticationMetadataManagerImpl over LocalAuthenticationMetadataProvider: the users, in memory and in
 * users.json (written atomically after every change, before the change is acknowledged). Knows nothing of requests.
 */
export class AuthenticationMetadataManager extends ConfigManager<Map<string, User>> {
  private users = new Map<string, User>();

  constructor(configStore: ConfigStore, logger: Logger) {
    super(configStore, USERS_FILE, logger);
  }

  encode(): string {
    return JSON.stringify([...this.users.values()]);
  }

  protected decode(text: string): Map<string, User> {
    const users = new Map<string, User>();
    for (const info of decodeUserInfoList(Buffer.from(text, 'utf8'))) {
      users.set(info.username, {
        username: info.username,
        password: info.password ?? '',
        userType: userTypeByName(info.userType) ?? 'Normal',
        userStatus: userStatusByName(info.userStatus) ?? 'enable',
      });
    }
    return users;
  }

  protected apply(loaded: Map<string, User>): void {
    this.users = loaded;
  }

  getUser(username: string): User | undefined {
    return this.users.get(username);
  }

  /** listUser: the users whose name contains `filter` (all for a blank filter). */
  listUsers(filter: string | undefined): User[] {
    return [...this.users.values()].filter((u) => isBlank(filter) || u.username.includes(filter as string));
  }

  isSuperUser(username: string): boolean {
    const user = this.users.get(username);
    if (user === undefined) throw new AuthenticationError(`User:${username} is not found`);
    return user.userType === 'Super';
  }

  /** createUser: Normal and enabled unless said otherwise. */
  async createUser(info: UserInfo): Promise<void> {
    if (isBlank(info.username)) throw new AuthenticationError('username can not be blank');
    if (isBlank(info.password)) throw new AuthenticationError('password can not be blank');
    if (this.users.has(info.username)) throw new AuthenticationError('The user is existed');
    this.users.set(info.username, {
      username: info.username,
      password: info.password as string,
      userType: userTypeByName(info.userType) ?? 'Normal',
      userStatus: userStatusByName(info.userStatus) ?? 'enable',
    });
    await this.persist();
  }

  /** updateUser: changes what is given (a non-blank password, a known type or status). */
  async updateUser(info: UserInfo): Promise<void> {
    if (isBlank(info.username)) throw new AuthenticationError('username can not be blank');
    const old = this.users.get(info.username);
    if (old === undefined) throw new AuthenticationError('The user is not exist');
    this.users.set(info.username, {
      username: old.username,
      password: isBlank(info.password) ? old.password : (info.password as string),
      userType: userTypeByName(info.userType) ?? old.userType,
      userStatus: userStatusByName(info.userStatus) ?? old.userStatus,
    });
    await this.persist();
  }

  /** deleteUser: deleting a user that does not exist succeeds. */
  async deleteUser(username: string): Promise<void> {
    if (isBlank(username)) throw new AuthenticationError('username can not be blank');
    if (!this.users.delete(username)) return;
    await this.persist();
  }

  /**
   * initUser: the initial user (initAuthenticationUser) and the broker's own clients' user
   * (innerClientAuthenticationCredentials) are created as Super users unless they exist; existing ones are kept.
   */
  async initUser(users: readonly { username: string; password: string }[]): Promise<void> {
    for (const { username, password } of users) {
      if (this.users.has(username)) continue;
      await this.createUser({ username, password, userType: 'Super' });
      this.logger.info(`created the super user ${username}`);
    }
  }
}
