package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.producer.RecallMessageHandle;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.RequestCode;

/**
 * A 5.x DefaultMQProducer sending timer messages (Message.setDeliverTimeMs / setDelayTimeSec / setDelayTimeMs, 5.x
 * only: this class is built for 5.x releases alone), one sync send per --cases entry, key "<prefix>-<case>":
 * deliver (setDeliverTimeMs(next second boundary + 3000)), sec (setDelayTimeSec(3)), ms (setDelayTimeMs(2500)),
 * past (setDeliverTimeMs(now - 5000)), far (setDelayTimeSec(4 days)), abc (TIMER_DELAY_SEC=abc through
 * MessageAccessor.putProperty), level (setDelayTimeLevel(1) and setDelayTimeSec(10)), long (setDelayTimeSec(10)).
 * Retries are Java's default (2 more attempts), so a refusal that is not retried shows as one request.
 *
 * Prints one JSON line per case: sentAt and ackAt (epoch ms around the send), due (when it should be delivered:
 * the absolute time, or sentAt + the delay), the SendResult (status, msgId, offsetMsgId, queueId, queueOffset,
 * recallHandle and the handle as RecallMessageHandle.decodeHandle reads it) or the error (class, responseCode,
 * message), and requests (SEND_MESSAGE(_V2) requests the send made, counted by an RPC hook). Then "SENT", and exits.
 *
 * --namesrv ADDR --topic T [--group PG] [--cases deliver,sec,ms,past,far,abc,level] [--prefix timer]
 */
public final class TimerProducerDriver {
    private static final long FOUR_DAYS_SEC = 4L * 24 * 3600;

    private TimerProducerDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String topic = args.require("topic");
        String prefix = args.get("prefix", "timer");
        String[] cases = args.get("cases", "deliver,sec,ms,past,far,abc,level").split(",");
        AtomicInteger requests = new AtomicInteger();
        RPCHook hook = new RPCHook() {
            @Override
            public void doBeforeRequest(String remoteAddr, RemotingCommand request) {
                int code = request.getCode();
                if (code == RequestCode.SEND_MESSAGE || code == RequestCode.SEND_MESSAGE_V2) {
                    requests.incrementAndGet();
                }
            }

            @Override
            public void doAfterResponse(String remoteAddr, RemotingCommand request, RemotingCommand response) {
            }
        };
        DefaultMQProducer producer = new DefaultMQProducer(args.get("group", "TimerJavaPG"), hook);
        producer.setNamesrvAddr(args.require("namesrv"));
        producer.setSendMsgTimeout(10_000);
        producer.setRetryTimesWhenSendFailed(2);
        producer.start();
        int failures = 0;
        for (String kase : cases) {
            String key = prefix + "-" + kase;
            Message msg = new Message(topic, "TagTimer", key, ("timer " + kase).getBytes(StandardCharsets.UTF_8));
            long now = System.currentTimeMillis();
            long due;
            switch (kase) {
                case "deliver":
                    due = (now / 1000 + 1) * 1000 + 3000;
                    msg.setDeliverTimeMs(due);
                    break;
                case "sec":
                    msg.setDelayTimeSec(3);
                    due = now + 3000;
                    break;
                case "ms":
                    msg.setDelayTimeMs(2500);
                    due = now + 2500;
                    break;
                case "past":
                    msg.setDeliverTimeMs(now - 5000);
                    due = now;
                    break;
                case "far":
                    msg.setDelayTimeSec(FOUR_DAYS_SEC);
                    due = now + FOUR_DAYS_SEC * 1000;
                    break;
                case "abc":
                    MessageAccessor.putProperty(msg, MessageConst.PROPERTY_TIMER_DELAY_SEC, "abc");
                    due = -1;
                    break;
                case "level":
                    msg.setDelayTimeLevel(1);
                    msg.setDelayTimeSec(10);
                    due = now + 1000;
                    break;
                case "long":
                    msg.setDelayTimeSec(10);
                    due = now + 10_000;
                    break;
                default:
                    throw new IllegalArgumentException("unknown case " + kase);
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("event", "send");
            line.put("case", kase);
            line.put("key", key);
            line.put("due", due);
            requests.set(0);
            long sentAt = System.currentTimeMillis();
            line.put("sentAt", sentAt);
            try {
                SendResult result = producer.send(msg);
                line.put("ackAt", System.currentTimeMillis());
                line.put("status", result.getSendStatus().name());
                line.put("msgId", result.getMsgId());
                line.put("offsetMsgId", result.getOffsetMsgId());
                line.put("queueId", result.getMessageQueue().getQueueId());
                line.put("queueOffset", result.getQueueOffset());
                line.put("recallHandle", result.getRecallHandle());
                if (result.getRecallHandle() != null) {
                    line.put("handle", decode(result.getRecallHandle()));
                }
            } catch (MQBrokerException e) {
                line.put("error", e.getClass().getSimpleName());
                line.put("responseCode", e.getResponseCode());
                line.put("message", e.getErrorMessage());
            } catch (MQClientException e) {
                failures++;
                line.put("error", e.getClass().getSimpleName());
                line.put("responseCode", e.getResponseCode());
                line.put("message", e.getErrorMessage());
            }
            line.put("requests", requests.get());
            System.out.println(Json.write(line));
        }
        System.out.println("SENT");
        System.out.flush();
        producer.shutdown();
        System.exit(failures == 0 ? 0 : 1);
    }

    private static Map<String, Object> decode(String handle) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            RecallMessageHandle.HandleV1 v1 = (RecallMessageHandle.HandleV1) RecallMessageHandle.decodeHandle(handle);
            out.put("version", v1.getVersion());
            out.put("topic", v1.getTopic());
            out.put("brokerName", v1.getBrokerName());
            out.put("timestamp", v1.getTimestampStr());
            out.put("messageId", v1.getMessageId());
        } catch (Exception e) {
            out.put("error", e.toString());
        }
        return out;
    }
}
