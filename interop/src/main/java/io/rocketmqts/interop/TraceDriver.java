package io.rocketmqts.interop;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONArray;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.trace.TraceBean;
import org.apache.rocketmq.client.trace.TraceContext;
import org.apache.rocketmq.client.trace.TraceDataEncoder;
import org.apache.rocketmq.common.message.Message;

/**
 * Message trace with the RocketMQ version under test, in two modes.
 *
 * --decode FILE: FILE is a JSON array of trace message bodies (text); each is read by Java's own
 * {@code TraceDataEncoder.decoderFromTraceDataString}, and every context is printed as one JSON line (type,
 * timeStamp, regionId, groupName, requestId, costTime, success, contextCode, and its beans), then "DONE n".
 *
 * --produce --namesrv ADDR --topic T [--group PG] [--traceparent TP [--tracestate TS]]: a DefaultMQProducer with
 * message trace on (the default trace topic) sends one message (tags "javaTag", keys "jk1 jk2") and shuts down,
 * which sends its Pub record; prints {"msgId":...,"offsetMsgId":...} then "SENT". --traceparent/--tracestate put
 * those W3C headers into the message as user properties, as the OpenTelemetry Java agent's RocketMQ
 * instrumentation does (its propagators' keys, MessageExt properties).
 */
public final class TraceDriver {
    private TraceDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        if (args.has("produce")) {
            produce(args);
            return;
        }
        String text = new String(Files.readAllBytes(Paths.get(args.require("decode"))), StandardCharsets.UTF_8);
        JSONArray bodies = JSON.parseArray(text);
        int contexts = 0;
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < bodies.size(); i++) {
            for (TraceContext ctx : TraceDataEncoder.decoderFromTraceDataString(bodies.getString(i))) {
                out.append(Json.write(describe(ctx))).append('\n');
                contexts++;
            }
        }
        System.out.print(out);
        System.out.println("DONE " + contexts);
        System.out.flush();
    }

    private static Map<String, Object> describe(TraceContext ctx) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("type", ctx.getTraceType().name());
        line.put("timeStamp", ctx.getTimeStamp());
        line.put("regionId", ctx.getRegionId());
        line.put("groupName", ctx.getGroupName());
        line.put("requestId", ctx.getRequestId());
        line.put("costTime", ctx.getCostTime());
        line.put("success", ctx.isSuccess());
        line.put("contextCode", ctx.getContextCode());
        List<Object> beans = new ArrayList<>();
        for (TraceBean bean : ctx.getTraceBeans()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("topic", bean.getTopic());
            b.put("msgId", bean.getMsgId());
            b.put("tags", bean.getTags());
            b.put("keys", bean.getKeys());
            b.put("storeHost", bean.getStoreHost());
            b.put("bodyLength", bean.getBodyLength());
            b.put("msgType", bean.getMsgType() == null ? null : bean.getMsgType().name());
            b.put("offsetMsgId", bean.getOffsetMsgId());
            b.put("retryTimes", bean.getRetryTimes());
            b.put("transactionId", bean.getTransactionId());
            b.put("transactionState", bean.getTransactionState() == null ? null : bean.getTransactionState().name());
            b.put("fromTransactionCheck", bean.isFromTransactionCheck());
            beans.add(b);
        }
        line.put("beans", beans);
        return line;
    }

    private static void produce(Args args) throws Exception {
        DefaultMQProducer producer = new DefaultMQProducer(args.get("group", "JavaTracePG"), true, null);
        producer.setNamesrvAddr(args.require("namesrv"));
        producer.setSendMsgTimeout(10_000);
        producer.start();
        Map<String, Object> report = new LinkedHashMap<>();
        try {
            Message msg = new Message(args.require("topic"), "javaTag", "", "from java".getBytes(StandardCharsets.UTF_8));
            msg.setKeys(Arrays.asList("jk1", "jk2"));
            if (args.has("traceparent")) {
                msg.putUserProperty("traceparent", args.require("traceparent"));
            }
            if (args.has("tracestate")) {
                msg.putUserProperty("tracestate", args.require("tracestate"));
            }
            SendResult result = producer.send(msg);
            report.put("msgId", result.getMsgId());
            report.put("offsetMsgId", result.getOffsetMsgId());
        } finally {
            // Shutdown flushes the trace dispatcher: the Pub record is sent before the JVM exits.
            producer.shutdown();
        }
        System.out.println(Json.write(report));
        System.out.println("SENT");
        System.out.flush();
    }
}
