/**
 * AuthConfig.java: ACL 2.0's keys of broker.conf, under Java's names. Only Java's own provider and strategy classes
 * exist here: a broker.conf naming another class is refused at startup rather than run without the checks it asks
 * for. The metadata providers are the exception Java makes: left out, the broker starts and every checked request
 * is refused ("The authenticationMetadataProvider is not configured").
 */
export interface AuthConfig {
  authenticationEnabled: boolean;
  authorizationEnabled: boolean;
  /** False when authenticationMetadataProvider is not set: there is no user store. */
  authenticationMetadataConfigured: boolean;
  /** False when authorizationMetadataProvider is not set: there is no ACL store. */
  authorizationMetadataConfigured: boolean;
  /** Request codes (as strings, like Java's rpcCode) that skip authentication / authorization. */
  authenticationWhitelist: ReadonlySet<string>;
  authorizationWhitelist: ReadonlySet<string>;
  /** initAuthenticationUser: created as a Super user at startup when missing. */
  initAuthenticationUser: { username: string; password: string } | undefined;
  /** innerClientAuthenticationCredentials: the broker signs its own requests with them; created as a Super user. */
  innerClientCredentials: { accessKey: string; secretKey: string } | undefined;
  /** At startup, the ACL 1.0 accounts of plain_acl.yml and conf/acl/ become users and ACLs (AuthMigrator). */
  migrateAuthFromV1Enabled: boolean;
}

const PACKAGE = 'org.apache.rocketmq.auth';
/** The classes each key may name (blank: Java's default, the first). */
const CLASSES: Record<string, readonly string[]> = {
  authenticationProvider: [`${PACKAGE}.authentication.provider.DefaultAuthenticationProvider`],
  authenticationMetadataProvider: [`${PACKAGE}.authentication.provider.LocalAuthenticationMetadataProvider`],
  authorizationProvider: [`${PACKAGE}.authorization.provider.DefaultAuthorizationProvider`],
  authorizationMetadataProvider: [`${PACKAGE}.authorization.provider.LocalAuthorizationMetadataProvider`],
  // Stateful strategies cache a channel's results for a minute; users and ACLs are in memory here, so both
  // strategies check every request against the current users and ACLs.
  authenticationStrategy: [`${PACKAGE}.authentication.strategy.StatelessAuthenticationStrategy`, `${PACKAGE}.authentication.strategy.StatefulAuthenticationStrategy`],
  authorizationStrategy: [`${PACKAGE}.authorization.strategy.StatelessAuthorizationStrategy`, `${PACKAGE}.authorization.strategy.StatefulAuthorizationStrategy`],
};

/** Java's cache sizes and lifetimes: accepted and without effect (users and ACLs are always in memory). */
const CACHE_KEYS = [
  'userCacheMaxNum',
  'userCacheExpiredSecond',
  'userCacheRefreshSecond',
  'aclCacheMaxNum',
  'aclCacheExpiredSecond',
  'aclCacheRefreshSecond',
  'statefulAuthenticationCacheMaxNum',
  'statefulAuthenticationCacheExpiredSecond',
  'statefulAuthorizationCacheMaxNum',
  'statefulAuthorizationCacheExpiredSecond',
];

const OTHER_KEYS = [
  'authenticationEnabled',
  'authorizationEnabled',
  'authenticationWhitelist',
  'authorizationWhitelist',
  'initAuthenticationUser',
  'innerClientAuthenticationCredentials',
  'migrateAuthFromV1Enabled',
];

/** Every broker.conf key that belongs to AuthConfig. */
export const AUTH_CONFIG_KEYS: ReadonlySet<string> = new Set([...Object.keys(CLASSES), ...CACHE_KEYS, ...OTHER_KEYS]);

export class AuthConfigError extends Error {}

export function defaultAuthConfig(): AuthConfig {
  return {
    authenticationEnabled: false,
    authorizationEnabled: false,
    authenticationMetadataConfigured: false,
    authorizationMetadataConfigured: false,
    authenticationWhitelist: new Set(),
    authorizationWhitelist: new Set(),
    initAuthenticationUser: undefined,
    innerClientCredentials: undefined,
    migrateAuthFromV1Enabled: false,
  };
}

function booleanOf(key: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v !== 'true' && v !== 'false') throw new AuthConfigError(`${key} must be true or false, not '${value}'`);
  return v === 'true';
}

/** StringUtils.split(",") and trim: the request codes of a whitelist. */
function whitelistOf(value: string | undefined): ReadonlySet<string> {
  return new Set((value ?? '').split(',').map((code) => code.trim()).filter((code) => code !== ''));
}

/** A JSON object with two non-blank string fields (Java's JSON.parseObject into User / SessionCredentials). */
function credentialsOf<A extends string, B extends string>(key: string, value: string, a: A, b: B): Record<A | B, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const obj = parsed as Record<string, unknown> | undefined;
  const first = obj?.[a];
  const second = obj?.[b];
  if (typeof first !== 'string' || first.trim() === '' || typeof second !== 'string' || second === '') {
    // The value holds a secret: it is not repeated in the message.
    throw new AuthConfigError(`${key} must be a JSON object {"${a}": ..., "${b}": ...} with both fields set`);
  }
  return { [a]: first, [b]: second } as Record<A | B, string>;
}

/** The AuthConfig of broker.conf properties; keys that are not AuthConfig's are ignored. Throws AuthConfigError. */
export function parseAuthConfig(properties: ReadonlyMap<string, string>): AuthConfig {
  const config = defaultAuthConfig();
  const get = (key: string): string | undefined => {
    const value = properties.get(key)?.trim();
    return value === '' ? undefined : value;
  };
  for (const [key, classes] of Object.entries(CLASSES)) {
    const value = get(key);
    if (value !== undefined && !classes.includes(value)) {
      throw new AuthConfigError(`${key}=${value} is not supported; use ${classes.join(' or ')}`);
    }
  }
  for (const key of CACHE_KEYS) {
    const value = get(key);
    if (value !== undefined && !/^\d{1,9}$/.test(value)) throw new AuthConfigError(`${key} must be a non-negative integer, not '${value}'`);
  }
  const enabled = (key: string): boolean => {
    const value = get(key);
    return value !== undefined && booleanOf(key, value);
  };
  config.authenticationEnabled = enabled('authenticationEnabled');
  config.authorizationEnabled = enabled('authorizationEnabled');
  config.migrateAuthFromV1Enabled = enabled('migrateAuthFromV1Enabled');
  config.authenticationMetadataConfigured = get('authenticationMetadataProvider') !== undefined;
  config.authorizationMetadataConfigured = get('authorizationMetadataProvider') !== undefined;
  config.authenticationWhitelist = whitelistOf(get('authenticationWhitelist'));
  config.authorizationWhitelist = whitelistOf(get('authorizationWhitelist'));
  const initUser = get('initAuthenticationUser');
  if (initUser !== undefined) config.initAuthenticationUser = credentialsOf('initAuthenticationUser', initUser, 'username', 'password');
  const inner = get('innerClientAuthenticationCredentials');
  if (inner !== undefined) config.innerClientCredentials = credentialsOf('innerClientAuthenticationCredentials', inner, 'accessKey', 'secretKey');
  if ((config.initAuthenticationUser !== undefined || config.innerClientCredentials !== undefined) && !config.authenticationMetadataConfigured) {
    // Java fails the same way: AuthenticationMetadataManagerImpl.initUser finds no provider to create them in.
    throw new AuthConfigError('initAuthenticationUser and innerClientAuthenticationCredentials need authenticationMetadataProvider');
  }
  return config;
}
