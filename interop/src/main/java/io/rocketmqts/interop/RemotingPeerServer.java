package io.rocketmqts.interop;

import io.netty.channel.ChannelHandlerContext;
import java.util.HashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.remoting.netty.NettyRemotingServer;
import org.apache.rocketmq.remoting.netty.NettyRequestProcessor;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Java's NettyRemotingServer with the parity processors of {@link PeerCodes}; the reference the TS server is compared
 * against and the server side of the Java-to-Java benchmark.
 *
 * <pre>
 * RemotingPeerServer [--port N] [--serialize JSON|ROCKETMQ] [--tls-mode disabled|permissive|enforcing]
 *                    [--tls-cert PEM --tls-key PKCS8-PEM]
 * </pre>
 *
 * Prints {@code READY <port>} on stdout once listening and runs until killed. Port 0 picks a free port. Without
 * --tls-cert, a TLS mode other than disabled uses Java's self-signed test certificate (tls.test.mode.enable).
 */
public final class RemotingPeerServer {
    private RemotingPeerServer() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        // TlsSystemConfig reads these once, when NettyRemotingServer first touches it.
        System.setProperty("tls.server.mode", args.get("tls-mode", "disabled"));
        if (args.has("tls-cert")) {
            System.setProperty("tls.test.mode.enable", "false");
            System.setProperty("tls.server.certPath", args.require("tls-cert"));
            System.setProperty("tls.server.keyPath", args.require("tls-key"));
        }

        NettyServerConfig config = new NettyServerConfig();
        config.setListenPort(args.getInt("port", 0));
        VersionApi.bindLoopback(config);
        NettyRemotingServer server = new NettyRemotingServer(config);
        register(server);
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "peer-server-shutdown"));
        System.out.println("READY " + server.localListenPort());
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void register(NettyRemotingServer server) {
        ExecutorService workers = Executors.newFixedThreadPool(Math.max(4, Runtime.getRuntime().availableProcessors()));
        ExecutorService sleepers = Executors.newCachedThreadPool();
        // One thread for ONEWAY_SINK and COUNT keeps them in arrival order, so COUNT sees every earlier oneway.
        ExecutorService ordered = Executors.newSingleThreadExecutor();
        AtomicLong onewaysSeen = new AtomicLong();

        server.registerProcessor(PeerCodes.ECHO, processor((ctx, request) -> echo(request)), workers);
        server.registerProcessor(PeerCodes.SLOW, processor((ctx, request) -> {
            Thread.sleep(Long.parseLong(request.getExtFields().get("sleepMs")));
            return RemotingCommand.createResponseCommand(0, null);
        }), sleepers);
        server.registerProcessor(PeerCodes.THROW, processor((ctx, request) -> {
            throw new RuntimeException("boom");
        }), workers);
        server.registerProcessor(PeerCodes.REJECT, new NettyRequestProcessor() {
            @Override
            public RemotingCommand processRequest(ChannelHandlerContext ctx, RemotingCommand request) {
                throw new IllegalStateException("REJECT requests are refused before they reach the processor");
            }

            @Override
            public boolean rejectRequest() {
                return true;
            }
        }, workers);
        server.registerProcessor(PeerCodes.CALLBACK, processor((ctx, request) -> {
            RemotingCommand call = RemotingCommand.createRequestCommand(PeerCodes.CALLBACK_TO_CLIENT, null);
            call.setBody(request.getBody());
            RemotingCommand answer = server.invokeSync(ctx.channel(), call, 3000);
            RemotingCommand response = RemotingCommand.createResponseCommand(answer.getCode(), answer.getRemark());
            response.setBody(answer.getBody());
            return response;
        }), sleepers);
        server.registerProcessor(PeerCodes.ONEWAY_SINK, processor((ctx, request) -> {
            onewaysSeen.incrementAndGet();
            return null;
        }), ordered);
        server.registerProcessor(PeerCodes.COUNT,
            processor((ctx, request) -> RemotingCommand.createResponseCommand(0, String.valueOf(onewaysSeen.get()))),
            ordered);
    }

    static RemotingCommand echo(RemotingCommand request) {
        RemotingCommand response = RemotingCommand.createResponseCommand(0, request.getRemark());
        response.setBody(request.getBody());
        if (request.getExtFields() != null) {
            response.setExtFields(new HashMap<>(request.getExtFields()));
        }
        return response;
    }

    interface Handler {
        RemotingCommand handle(ChannelHandlerContext ctx, RemotingCommand request) throws Exception;
    }

    static NettyRequestProcessor processor(Handler handler) {
        return new NettyRequestProcessor() {
            @Override
            public RemotingCommand processRequest(ChannelHandlerContext ctx, RemotingCommand request) throws Exception {
                return handler.handle(ctx, request);
            }

            @Override
            public boolean rejectRequest() {
                return false;
            }
        };
    }
}
