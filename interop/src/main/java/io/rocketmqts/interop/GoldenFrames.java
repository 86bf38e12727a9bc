package io.rocketmqts.interop;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.remoting.netty.NettyEncoder;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.RemotingSysResponseCode;
import org.apache.rocketmq.remoting.protocol.SerializeType;

/**
 * Writes golden frames: commands built with RocketMQ's own classes, encoded by its NettyEncoder and decoded back by
 * RemotingCommand.decode, the way NettyDecoder does.
 *
 * <pre>
 * GoldenFrames --out DIR
 * </pre>
 *
 * One file per frame and serialize type: DIR/java-VERSION-NAME-json.json and ...-rocketmq.json, each
 * {@code {name, rocketmqVersion, serializeType, hex, decoded: {code, language, version, opaque, flag, remark,
 * extFields, bodyHex}}}, where hex is the whole frame including its length prefix.
 */
public final class GoldenFrames {
    private GoldenFrames() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        Path out = Paths.get(args.require("out"));
        Files.createDirectories(out);
        String version = MQVersion.getVersionDesc(MQVersion.CURRENT_VERSION).substring(1).replace('_', '.');

        Map<String, Supplier<RemotingCommand>> frames = new LinkedHashMap<>();
        frames.put("get-routeinfo-request", () -> withOpaque(VersionApi.routeInfoRequest("TopicTest"), 1));
        frames.put("system-busy-response", () -> withOpaque(RemotingCommand.createResponseCommand(
            RemotingSysResponseCode.SYSTEM_BUSY, "[REJECTREQUEST]system busy, start flow control for a while"), 2));
        frames.put("send-message-v2-request", () -> withOpaque(VersionApi.sendMessageV2Request("PG", "TopicTest",
            "TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002WAIT\u0001true\u0002", 1700000000000L,
            "hello".getBytes(StandardCharsets.UTF_8)), 3));
        frames.put("send-message-response", () -> withOpaque(
            VersionApi.sendMessageResponse("7F00000100002A9F0000000000000042", 2, 42L), 3));
        frames.put("unicode-remark-response", () -> withOpaque(RemotingCommand.createResponseCommand(0,
            "h\u00e9llo \u2014 \u4f60\u597d \ud83d\ude80 \"quoted\" \\ back\tslash"), 5));
        frames.put("oneway-request", () -> withOpaque(VersionApi.notifyConsumerIdsChanged("CG"), 6));

        NettyEncoder encoder = new NettyEncoder();
        for (Map.Entry<String, Supplier<RemotingCommand>> frame : frames.entrySet()) {
            for (SerializeType type : new SerializeType[] {SerializeType.JSON, SerializeType.ROCKETMQ}) {
                RemotingCommand command = frame.getValue().get();
                command.setSerializeTypeCurrentRPC(type);
                ByteBuf buf = Unpooled.buffer();
                encoder.encode(null, command, buf);
                byte[] bytes = ByteBufUtil.getBytes(buf);
                RemotingCommand decoded = RemotingCommand.decode(Arrays.copyOfRange(bytes, 4, bytes.length));

                Map<String, Object> file = new LinkedHashMap<>();
                file.put("name", frame.getKey());
                file.put("rocketmqVersion", version);
                file.put("serializeType", type.name());
                file.put("hex", ByteBufUtil.hexDump(bytes));
                file.put("decoded", describe(decoded));
                Path target = out.resolve(
                    "java-" + version + "-" + frame.getKey() + "-" + type.name().toLowerCase() + ".json");
                Files.write(target, (Json.write(file) + "\n").getBytes(StandardCharsets.UTF_8));
                System.out.println(target);
            }
        }
    }

    private static RemotingCommand withOpaque(RemotingCommand command, int opaque) {
        command.setOpaque(opaque);
        return command;
    }

    private static Map<String, Object> describe(RemotingCommand command) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("code", command.getCode());
        out.put("language", command.getLanguage().name());
        out.put("version", command.getVersion());
        out.put("opaque", command.getOpaque());
        out.put("flag", command.getFlag());
        out.put("remark", command.getRemark());
        out.put("extFields", command.getExtFields() == null ? null : new TreeMap<>(command.getExtFields()));
        out.put("bodyHex", command.getBody() == null ? "" : ByteBufUtil.hexDump(command.getBody()));
        return out;
    }
}
