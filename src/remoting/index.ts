export { RemotingServer, type RemotingServerOptions } from './remoting-server.js';
export { RemotingClient, type RemotingClientOptions } from './remoting-client.js';
export { RemotingChannel, formatAddr, parseAddr } from './remoting-channel.js';
export type { RequestProcessor, RequestContext } from './request-processor.js';
export type { RPCHook } from './rpc-hook.js';
export { ChannelEventType, type ChannelEvent, type ChannelEventListener } from './channel-event.js';
export type { TlsMode, ServerTlsOptions, ClientTlsOptions } from './tls-config.js';
export type { RemotingEndpointOptions } from './remoting-abstract.js';
export { TopAddressing, wsAddr, DEFAULT_NAMESRV_ADDR_LOOKUP, type TopAddressingOptions } from './top-addressing.js';
