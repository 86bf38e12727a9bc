import type { LanguageName } from '../../protocol/language-code.js';

/** ClientChannelInfo.java: one client connection as a producer or consumer group member. */
export interface ClientChannelInfo<C> {
  readonly channel: C;
  readonly clientId: string;
  readonly language: LanguageName;
  /** The client's MQVersion ordinal (from its request header). */
  readonly version: number;
  lastUpdateTimestamp: number;
}

export function newClientChannelInfo<C>(channel: C, clientId: string, language: LanguageName, version: number, now = Date.now()): ClientChannelInfo<C> {
  return { channel, clientId, language, version, lastUpdateTimestamp: now };
}
