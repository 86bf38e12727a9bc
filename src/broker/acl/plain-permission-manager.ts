import type { Logger } from '../../common/logger.js';
import { calSignature, signatureMatches } from '../../protocol/acl-signature.js';
import { AclException } from './acl-exception.js';
import {
  CONFIG_ACCOUNTS,
  CONFIG_DATA_VERSION,
  CONFIG_GLOBAL_WHITE_ADDRS,
  checkPlainAccessConfig,
  dataVersionOf,
  mergeAccessConfig,
  readAclFile,
  type Account,
  type AclDataVersion,
  type AclFileContent,
  type PlainAccessConfig,
} from './plain-acl-config.js';
import { ADMIN_CODES, Permission, checkPermission, checkResourcePerms, isRetryTopic, RETRY_GROUP_TOPIC_PREFIX } from './permission.js';
import { remoteAddressStrategy, type RemoteAddressStrategy } from './remote-address-strategy.js';
import { YamlError, formatYaml, parseYaml, type YamlMap, type YamlValue } from './yaml.js';

/** TopicValidator.RMQ_SYS_TRACE_TOPIC: publishing traces needs no permission (4.9.8 uses the constant, not the config). */
const RMQ_SYS_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';

/**
 * Where the ACL files are. The broker never touches files: src/store/plain-acl-file-store.ts implements this over
 * $ROCKETMQ_HOME, tests over a map.
 */
export interface AclFileStore {
  /** The default file (plain_acl.yml): new accounts and the global whitelist go there. */
  readonly defaultFile: string;
  /** Every *.yml / *.yaml under the ACL directory (recursive, in a stable order), then the default file if it exists. */
  listFiles(): Promise<string[]>;
  /** The file's text, undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** What changes whenever the file's content may have changed (mtime, size, inode); undefined when it is gone. */
  stamp(path: string): Promise<string | undefined>;
  /** Replaces the file's content atomically (temp file and rename). */
  write(path: string, text: string): Promise<void>;
  /** Creates the default file empty when it is missing, as Java's assureAclConfigFilesExist. */
  ensureDefaultFile(): Promise<void>;
}

/** What a request asks for, as PlainAccessValidator.parse extracts it: nothing here knows about connections. */
export interface AccessRequest {
  /** The client's IP address, without port. */
  readonly remoteAddr: string;
  readonly code: number;
  readonly accessKey?: string | undefined;
  readonly signature?: string | undefined;
  /** The signed content (ext fields and body); undefined for a request without ext fields. */
  readonly content?: Buffer | undefined;
  /** Topics (and `%RETRY%group`s) with the permission the request needs on each. */
  readonly resources: ReadonlyMap<string, number>;
}

interface LoadedFile {
  stamp: string | undefined;
  content: AclFileContent;
}

/** The accounts of all files together: an accessKey belongs to the first file that defines it. */
interface AclState {
  readonly accounts: ReadonlyMap<string, { account: Account; file: string }>;
  readonly globalWhite: readonly RemoteAddressStrategy[];
}

/**
 * PlainPermissionManager.java (4.9.8): loads plain_acl.yml and every file under conf/acl, validates requests in
 * Java's order, and applies the admin codes 50, 51 and 53 to the files. Files are reloaded when they change
 * (reloadIfChanged, called periodically by the broker like Java's AclFileWatchService); a file that does not parse
 * is logged and its previous content stays in force. Reloads and admin updates run one at a time, and an update
 * re-reads its file right before writing it, so neither loses the other's change.
 */
export class PlainPermissionManager {
  private files = new Map<string, LoadedFile>();
  private state: AclState = { accounts: new Map(), globalWhite: [] };
  private order: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: AclFileStore,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The first load: a file that does not parse fails it (the broker does not start with half its ACL). */
  load(): Promise<void> {
    return this.exclusive(async () => {
      await this.store.ensureDefaultFile();
      await this.reload(true);
    });
  }

  /** Reloads the files whose stamp changed, and notices files added or removed; never rejects. */
  reloadIfChanged(): Promise<void> {
    return this.exclusive(() => this.reload(false)).catch((err: unknown) => this.logger.error('reloading the ACL files failed', err));
  }

  /** PlainPermissionManager.validate: returns when the request may go on, throws AclException when not. */
  validate(request: AccessRequest): void {
    const { accounts, globalWhite } = this.state;
    if (globalWhite.some((strategy) => strategy.match(request.remoteAddr))) return;
    if (request.accessKey === undefined) throw new AclException('No accessKey is configured');
    const owned = accounts.get(request.accessKey)?.account;
    if (owned === undefined) throw new AclException(`No acl config for ${request.accessKey}`);
    if (owned.whiteRemoteAddress.match(request.remoteAddr)) return;
    const expected = calSignature(request.content ?? Buffer.alloc(0), owned.secretKey);
    if (!signatureMatches(expected, request.signature)) throw new AclException(`Check signature failed for accessKey=${request.accessKey}`);
    if (request.resources.get(RMQ_SYS_TRACE_TOPIC) === Permission.PUB) return;
    checkPerm(request, owned);
  }

  /** UPDATE_AND_CREATE_ACL_CONFIG (50): creates the account in the default file, or updates it in its own file. */
  async updateAccessConfig(update: PlainAccessConfig): Promise<void> {
    checkPlainAccessConfig(update);
    checkResourcePerms(update.topicPerms);
    checkResourcePerms(update.groupPerms);
    return this.exclusive(async () => {
      const file = this.state.accounts.get(update.accessKey)?.file ?? this.store.defaultFile;
      const doc = await this.readForUpdate(file);
      const accounts = accountList(doc, file);
      const index = accounts.findIndex((entry) => accessKeyOf(entry) === update.accessKey);
      const existing = index < 0 ? undefined : (accounts[index] as YamlMap);
      const merged = mergeAccessConfig(existing === undefined ? undefined : new Map(existing), update);
      // Checked before anything is written: a bad pattern or permission fails the update, not the next reload.
      readAclFile(new Map([[CONFIG_ACCOUNTS, [merged]]]), file, 0);
      // Java moves an updated account to the end of the list.
      if (index >= 0) accounts.splice(index, 1);
      accounts.push(merged);
      doc.set(CONFIG_ACCOUNTS, accounts);
      await this.writeWithNextVersion(file, doc);
    });
  }

  /** DELETE_ACL_CONFIG (51): false when the accessKey is blank or unknown. */
  async deleteAccessConfig(accessKey: string): Promise<boolean> {
    if (accessKey === '') return false;
    return this.exclusive(async () => {
      const file = this.state.accounts.get(accessKey)?.file;
      if (file === undefined) return false;
      const doc = await this.readForUpdate(file);
      const accounts = accountList(doc, file);
      const index = accounts.findIndex((entry) => accessKeyOf(entry) === accessKey);
      if (index < 0) return false;
      accounts.splice(index, 1);
      doc.set(CONFIG_ACCOUNTS, accounts);
      await this.writeWithNextVersion(file, doc);
      return true;
    });
  }

  /**
   * UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): replaces the whitelist of one ACL file (the default file when blank).
   * Resolves to why it was refused, or undefined. Unlike Java (any existing file under ROCKETMQ_HOME), only a file
   * this manager loads may be written, and the patterns are checked before anything is.
   */
  updateGlobalWhiteAddrsConfig(addrs: readonly string[], file: string | undefined): Promise<string | undefined> {
    return this.exclusive(async () => {
      const target = file === undefined || file === '' ? this.store.defaultFile : file;
      if (target !== this.store.defaultFile && !this.files.has(target)) return `${target} is not an ACL file of this broker`;
      for (const pattern of addrs) remoteAddressStrategy(pattern);
      const doc = await this.readForUpdate(target);
      doc.set(CONFIG_GLOBAL_WHITE_ADDRS, [...addrs]);
      await this.writeWithNextVersion(target, doc);
      return undefined;
    });
  }

  /** The default file's version (GET_BROKER_CLUSTER_ACL_INFO's deprecated `version`). */
  aclConfigVersion(): AclDataVersion {
    return this.files.get(this.store.defaultFile)?.content.dataVersion ?? { counter: 0, timestamp: 0 };
  }

  /** Every loaded file's version, by path (files without data have none, as in Java). */
  allAclFileVersions(): Map<string, AclDataVersion> {
    const out = new Map<string, AclDataVersion>();
    for (const path of this.order) {
      const version = this.files.get(path)?.content.dataVersion;
      if (version !== undefined) out.set(path, version);
    }
    return out;
  }

  /** GET_BROKER_CLUSTER_ACL_CONFIG (54): every file's whitelist and accounts (the first of a repeated accessKey). */
  allAclConfig(): { globalWhiteAddrs: string[]; plainAccessConfigs: PlainAccessConfig[] } {
    const globalWhiteAddrs: string[] = [];
    const plainAccessConfigs: PlainAccessConfig[] = [];
    const seen = new Set<string>();
    for (const path of this.order) {
      const content = this.files.get(path)?.content;
      if (content === undefined) continue;
      globalWhiteAddrs.push(...content.globalWhiteAddrs);
      for (const config of content.configs) {
        if (seen.has(config.accessKey)) continue;
        seen.add(config.accessKey);
        plainAccessConfigs.push(config);
      }
    }
    return { globalWhiteAddrs, plainAccessConfigs };
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reads the files whose stamp changed; `strict`: the first failure rejects (startup), else it is logged. */
  private async reload(strict: boolean): Promise<void> {
    const order = await this.store.listFiles();
    const files = new Map<string, LoadedFile>();
    let changed = order.length !== this.order.length || order.some((path, i) => this.order[i] !== path);
    for (const path of order) {
      const previous = this.files.get(path);
      const stamp = await this.store.stamp(path);
      if (previous !== undefined && stamp === previous.stamp) {
        files.set(path, previous);
        continue;
      }
      try {
        files.set(path, { stamp, content: await this.parseFile(path) });
        this.logger.info(`ACL file ${path} ${previous === undefined ? 'loaded' : 'reloaded'}`);
      } catch (err) {
        if (strict) throw err;
        this.logger.error(`ACL file ${path} not reloaded, its previous content stays in force: ${(err as Error).message}`);
        // Marked as seen, so the same bad content is reported once, not on every check.
        files.set(path, { stamp, content: previous?.content ?? readAclFile(null, path, 0) });
      }
      changed = true;
    }
    if (!changed) return;
    this.files = files;
    this.order = order;
    this.rebuild();
  }

  private async parseFile(path: string): Promise<AclFileContent> {
    const text = (await this.store.read(path)) ?? '';
    try {
      return readAclFile(parseYaml(text), path, this.now());
    } catch (err) {
      if (err instanceof YamlError) throw new AclException(`${path}: ${err.message}`);
      throw err;
    }
  }

  private rebuild(): void {
    const accounts = new Map<string, { account: Account; file: string }>();
    const globalWhite: RemoteAddressStrategy[] = [];
    for (const path of this.order) {
      const content = this.files.get(path)?.content;
      if (content === undefined) continue;
      globalWhite.push(...content.globalWhite);
      for (const account of content.accounts) {
        if (accounts.has(account.accessKey)) this.logger.warn(`The accessKey ${account.accessKey} is repeated in multiple ACL files, ${path} ignored`);
        else accounts.set(account.accessKey, { account, file: path });
      }
    }
    this.state = { accounts, globalWhite };
  }

  /** The file as it is on disk now (an edit since the last reload included); a file that does not parse is not overwritten. */
  private async readForUpdate(path: string): Promise<YamlMap> {
    const text = await this.store.read(path);
    let doc: YamlValue;
    try {
      doc = parseYaml(text ?? '');
    } catch (err) {
      throw new AclException(`${path} cannot be updated, it does not parse: ${(err as Error).message}`);
    }
    if (doc === null) return new Map();
    if (!(doc instanceof Map)) throw new AclException(`${path} cannot be updated: it is not a mapping`);
    return doc;
  }

  /** updateAclConfigFileVersion + writeDataObject, then the written content is what is in force. */
  private async writeWithNextVersion(path: string, doc: YamlMap): Promise<void> {
    const current = dataVersionOf(doc.get(CONFIG_DATA_VERSION), path) ?? { counter: 0, timestamp: 0 };
    const next: AclDataVersion = { counter: current.counter + 1, timestamp: Math.max(this.now(), current.timestamp + 1) };
    doc.set(CONFIG_DATA_VERSION, [new Map<string, YamlValue>([['counter', next.counter], ['timestamp', next.timestamp]])]);
    const text = formatYaml(doc);
    const content = readAclFile(parseYaml(text), path, this.now());
    await this.store.write(path, text);
    this.files.set(path, { stamp: await this.store.stamp(path), content });
    if (!this.order.includes(path)) this.order = await this.store.listFiles();
    this.rebuild();
  }
}

/** An account entry's accessKey as text (a numeric key reads as a number), undefined for anything else. */
function accessKeyOf(entry: YamlValue): string | undefined {
  if (!(entry instanceof Map)) return undefined;
  const key = entry.get('accessKey');
  return typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint' ? String(key) : undefined;
}

function accountList(doc: YamlMap, path: string): YamlValue[] {
  const accounts = doc.get(CONFIG_ACCOUNTS);
  if (accounts === undefined || accounts === null) return [];
  if (!Array.isArray(accounts)) throw new AclException(`${path} cannot be updated: accounts is not a list`);
  return [...accounts];
}

/** PlainPermissionManager.checkPerm: admin-only codes, then each resource against its own or the default permission. */
function checkPerm(request: AccessRequest, owned: Account): void {
  if (ADMIN_CODES.has(request.code) && !owned.admin) {
    throw new AclException(`Need admin permission for request code=${request.code}, but accessKey=${owned.accessKey} is not`);
  }
  if (request.resources.size === 0) return;
  if (owned.resourcePerms === undefined && owned.admin) return;
  for (const [resource, needed] of request.resources) {
    const isGroup = isRetryTopic(resource);
    const ownedPerm = owned.resourcePerms?.get(resource) ?? (isGroup ? owned.defaultGroupPerm : owned.defaultTopicPerm);
    if (!checkPermission(needed, ownedPerm)) {
      const printed = isGroup ? `group:${resource.slice(RETRY_GROUP_TOPIC_PREFIX.length)}` : `topic:${resource}`;
      throw new AclException(`No default permission for ${printed}`);
    }
  }
}
