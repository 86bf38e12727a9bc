package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * A TransactionMQProducer of the RocketMQ version under test: sends one transactional message per --outcomes entry
 * (key "tx-<outcome>-<index>") and answers its local transaction and the broker's checks by outcome:
 * commit / rollback (at once), unknown-commit (UNKNOW, then COMMIT_MESSAGE on the second check), check-commit
 * (UNKNOW, then COMMIT_MESSAGE on the first check this process gets), unknown (UNKNOW to every check), throw (the
 * local transaction throws: UNKNOW). Without --outcomes it sends nothing and only answers checks (a second member of
 * a producer group); keys say the outcome, so any member answers alike. Prints one JSON line per send ("send"), per check the
 * listener gets ("check"), and per CHECK_TRANSACTION_STATE request the RPC hook sees ("hook", its ext fields and
 * whether it was oneway); prints "SENT" after the sends, lingers --linger-ms for the checks, then exits.
 *
 * --namesrv ADDR --topic T --group PG [--outcomes commit,rollback,...] [--linger-ms 10000] [--instance NAME]
 * [--first-index I] (keys count from I) [--heartbeat-ms N] (setHeartbeatBrokerInterval: how soon a restarted
 * broker hears of this producer again)
 */
public final class TransactionProducerDriver {
    private TransactionProducerDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String topic = args.require("topic");
        String list = args.get("outcomes", "");
        String[] outcomes = list.isEmpty() ? new String[0] : list.split(",");
        Map<String, AtomicInteger> checks = new ConcurrentHashMap<>();
        RPCHook hook = new RPCHook() {
            @Override
            public void doBeforeRequest(String remoteAddr, RemotingCommand request) {
                if (request.getCode() != 39) {
                    return;
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("event", "hook");
                line.put("oneway", request.isOnewayRPC());
                line.put("extFields", request.getExtFields());
                print(line);
            }

            @Override
            public void doAfterResponse(String remoteAddr, RemotingCommand request, RemotingCommand response) {
            }
        };
        TransactionMQProducer producer = new TransactionMQProducer(args.require("group"), hook);
        producer.setNamesrvAddr(args.require("namesrv"));
        producer.setInstanceName(args.get("instance", "DEFAULT"));
        producer.setSendMsgTimeout(10_000);
        producer.setHeartbeatBrokerInterval(args.getInt("heartbeat-ms", 30_000));
        producer.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                String outcome = outcomeOf(msg.getKeys());
                switch (outcome) {
                    case "commit":
                        return LocalTransactionState.COMMIT_MESSAGE;
                    case "rollback":
                        return LocalTransactionState.ROLLBACK_MESSAGE;
                    case "throw":
                        throw new IllegalStateException("local transaction failed on purpose");
                    default:
                        return LocalTransactionState.UNKNOW;
                }
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                int n = checks.computeIfAbsent(msg.getKeys(), k -> new AtomicInteger()).incrementAndGet();
                String outcome = outcomeOf(msg.getKeys());
                LocalTransactionState state = LocalTransactionState.UNKNOW;
                if ((outcome.equals("unknown-commit") && n >= 2) || outcome.equals("check-commit")) {
                    state = LocalTransactionState.COMMIT_MESSAGE;
                } else if (outcome.equals("commit")) {
                    state = LocalTransactionState.COMMIT_MESSAGE;
                } else if (outcome.equals("rollback")) {
                    state = LocalTransactionState.ROLLBACK_MESSAGE;
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("event", "check");
                line.put("key", msg.getKeys());
                line.put("n", n);
                line.put("answer", state.name());
                line.put("topic", msg.getTopic());
                line.put("queueId", msg.getQueueId());
                line.put("queueOffset", msg.getQueueOffset());
                line.put("msgId", msg.getMsgId());
                line.put("transactionId", msg.getTransactionId());
                line.put("checkTimes", msg.getProperty(MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES));
                line.put("body", new String(msg.getBody(), StandardCharsets.UTF_8));
                print(line);
                return state;
            }
        });
        producer.start();
        int failures = 0;
        int first = args.getInt("first-index", 0);
        for (int i = 0; i < outcomes.length; i++) {
            String key = "tx-" + outcomes[i] + "-" + (first + i);
            Message msg = new Message(topic, "TagTx", key, ("transactional " + key).getBytes(StandardCharsets.UTF_8));
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("event", "send");
            line.put("key", key);
            try {
                TransactionSendResult result = producer.sendMessageInTransaction(msg, null);
                line.put("sendStatus", result.getSendStatus().name());
                line.put("localState", result.getLocalTransactionState().name());
                line.put("msgId", result.getMsgId());
                line.put("offsetMsgId", result.getOffsetMsgId());
                line.put("transactionId", result.getTransactionId());
                line.put("queueId", result.getMessageQueue().getQueueId());
                line.put("queueOffset", result.getQueueOffset());
            } catch (Exception e) {
                line.put("error", e.toString());
                failures++;
            }
            print(line);
        }
        System.out.println("SENT");
        System.out.flush();
        Thread.sleep(args.getInt("linger-ms", 10_000));
        producer.shutdown();
        System.exit(failures == 0 ? 0 : 1);
    }

    /** "tx-unknown-commit-2" -> "unknown-commit". */
    private static String outcomeOf(String key) {
        String rest = key.substring("tx-".length());
        return rest.substring(0, rest.lastIndexOf('-'));
    }

    private static void print(Map<String, Object> line) {
        synchronized (System.out) {
            System.out.println(Json.write(line));
            System.out.flush();
        }
    }
}
