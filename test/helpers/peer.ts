import { setTimeout as delay } from 'node:timers/promises';
import {
  RemotingCommand,
  RemotingServer,
  ResponseCode,
  type RemotingServerOptions,
  type RequestProcessor,
} from '../../src/index.js';

/**
 * The codes of our test peer, the same on the TS side and in the Java peer (interop/RemotingPeerServer), so one
 * scenario can run against either server.
 */
export const PeerCode = {
  ECHO: 9001,
  SLOW: 9002,
  THROW: 9003,
  REJECT: 9004,
  CALLBACK: 9005,
  ONEWAY_SINK: 9006,
  COUNT: 9007,
  /** Served by the client: the server calls it back during CALLBACK. */
  CLIENT_ECHO: 9101,
} as const;

function echo(request: RemotingCommand): RemotingCommand {
  const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, request.remark);
  response.extFields = request.extFields === undefined ? undefined : { ...request.extFields };
  response.body = request.body;
  return response;
}

export const echoProcessor: RequestProcessor = { processRequest: (_ctx, request) => echo(request) };

/** Registers the peer processors on `server`; returns the oneway counter. */
export function registerPeerProcessors(server: RemotingServer): { onewayCount: () => number } {
  let oneway = 0;
  server.registerProcessor(PeerCode.ECHO, echoProcessor);
  server.registerProcessor(PeerCode.SLOW, {
    async processRequest(_ctx, request) {
      await delay(Number(request.extFields?.['sleepMs'] ?? '1000'));
      return echo(request);
    },
  });
  server.registerProcessor(PeerCode.THROW, {
    processRequest() {
      throw new Error('boom');
    },
  });
  server.registerProcessor(PeerCode.REJECT, { processRequest: (_ctx, request) => echo(request), rejectRequest: () => true });
  server.registerProcessor(PeerCode.CALLBACK, {
    async processRequest(ctx, request) {
      const callback = RemotingCommand.createRequestCommand(PeerCode.CLIENT_ECHO, undefined, request.body);
      const answer = await server.invokeSync(ctx.channel, callback, 3000);
      const response = RemotingCommand.createResponseCommand(answer.code, answer.remark);
      response.body = answer.body;
      return response;
    },
  });
  server.registerProcessor(PeerCode.ONEWAY_SINK, {
    processRequest() {
      oneway++;
      return null;
    },
  });
  server.registerProcessor(PeerCode.COUNT, {
    processRequest: () => RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, String(oneway)),
  });
  return { onewayCount: () => oneway };
}

/** A loopback RemotingServer on a free port with the peer processors registered. */
export async function startPeerServer(
  options: RemotingServerOptions = {},
): Promise<{ server: RemotingServer; addr: string; onewayCount: () => number }> {
  const server = new RemotingServer({ listenPort: 0, bindAddress: '127.0.0.1', ...options });
  const { onewayCount } = registerPeerProcessors(server);
  await server.start();
  return { server, addr: `127.0.0.1:${server.port}`, onewayCount };
}
