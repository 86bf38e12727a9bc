package io.rocketmqts.interop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.rocketmq.remoting.protocol.body.BrokerStatsData;
import org.apache.rocketmq.remoting.protocol.body.BrokerStatsItem;
import org.apache.rocketmq.remoting.protocol.body.KVTable;
import org.apache.rocketmq.remoting.protocol.body.ProducerInfo;
import org.apache.rocketmq.remoting.protocol.body.ProducerTableInfo;
import org.apache.rocketmq.remoting.protocol.body.TopicList;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * The admin calls rocketmq-dashboard and rocketmq-exporter make that a broker must answer for their Topic page,
 * charts and metric families, made with Java 5.3.3's own admin client against one broker:
 * {@code --namesrv ADDR --broker ADDR --topic T --group G}. Prints one JSON line per call:
 * <ul>
 * <li>{"call":"runtime","keys":[...sorted KV keys...],"commitLogDirCapacity":...,"msgPutTotalTodayNow":...}
 * (fetchBrokerRuntimeStats, code 28; the exporter drops every runtime family when a key it parses is missing);</li>
 * <li>{"call":"systemTopics","topics":[...]} (getSystemTopicListFromBroker, code 305: the dashboard's Topic page);</li>
 * <li>{"call":"stats","statsName":...,"minuteSum":...,"hourSum":...,"daySum":...} for TOPIC_PUT_NUMS of T and
 * GROUP_GET_NUMS of T@G (viewBrokerStatsData, code 315: the charts and the tps families), or {"error":...};</li>
 * <li>{"call":"producers","groups":{group:[{clientId,remoteIP,language,version}]}} (getAllProducerInfo, code 328).</li>
 * </ul>
 * then "DONE".
 */
public final class OpsAdminDriver {
    private OpsAdminDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String broker = args.require("broker");
        String topic = args.require("topic");
        String group = args.require("group");
        DefaultMQAdminExt admin = new DefaultMQAdminExt("ops_admin_driver");
        admin.setNamesrvAddr(args.require("namesrv"));
        admin.start();
        try {
            KVTable runtime = admin.fetchBrokerRuntimeStats(broker);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("call", "runtime");
            line.put("keys", new ArrayList<>(new TreeSet<>(runtime.getTable().keySet())));
            line.put("commitLogDirCapacity", runtime.getTable().get("commitLogDirCapacity"));
            line.put("msgPutTotalTodayNow", runtime.getTable().get("msgPutTotalTodayNow"));
            line.put("msgGetTotalTodayNow", runtime.getTable().get("msgGetTotalTodayNow"));
            System.out.println(Json.write(line));

            TopicList system = admin.getDefaultMQAdminExtImpl().getMqClientInstance().getMQClientAPIImpl()
                .getSystemTopicListFromBroker(broker, 5000);
            line = new LinkedHashMap<>();
            line.put("call", "systemTopics");
            line.put("topics", new ArrayList<>(new TreeSet<>(system.getTopicList())));
            System.out.println(Json.write(line));

            stats(admin, broker, "TOPIC_PUT_NUMS", topic);
            stats(admin, broker, "GROUP_GET_NUMS", topic + "@" + group);
            stats(admin, broker, "TOPIC_PUT_NUMS", "NoSuchTopicForStats");

            ProducerTableInfo producers = admin.getAllProducerInfo(broker);
            Map<String, Object> groups = new LinkedHashMap<>();
            for (Map.Entry<String, List<ProducerInfo>> entry : producers.getData().entrySet()) {
                List<Object> members = new ArrayList<>();
                for (ProducerInfo info : entry.getValue()) {
                    Map<String, Object> member = new LinkedHashMap<>();
                    member.put("clientId", info.getClientId());
                    member.put("remoteIP", info.getRemoteIP());
                    member.put("language", String.valueOf(info.getLanguage()));
                    member.put("version", info.getVersion());
                    members.add(member);
                }
                groups.put(entry.getKey(), members);
            }
            line = new LinkedHashMap<>();
            line.put("call", "producers");
            line.put("groups", groups);
            System.out.println(Json.write(line));
        } finally {
            admin.shutdown();
        }
        System.out.println("DONE");
        System.out.flush();
    }

    private static void stats(DefaultMQAdminExt admin, String broker, String statsName, String statsKey) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("call", "stats");
        line.put("statsName", statsName);
        line.put("statsKey", statsKey);
        try {
            BrokerStatsData data = admin.viewBrokerStatsData(broker, statsName, statsKey);
            line.put("minuteSum", sum(data.getStatsMinute()));
            line.put("hourSum", sum(data.getStatsHour()));
            line.put("daySum", sum(data.getStatsDay()));
        } catch (Exception e) {
            line.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        System.out.println(Json.write(line));
    }

    private static Object sum(BrokerStatsItem item) {
        return item == null ? null : item.getSum();
    }
}
