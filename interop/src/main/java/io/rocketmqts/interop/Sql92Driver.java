package io.rocketmqts.interop;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONArray;
import com.alibaba.fastjson.JSONObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.broker.filter.MessageEvaluationContext;
import org.apache.rocketmq.common.filter.ExpressionType;
import org.apache.rocketmq.filter.FilterFactory;
import org.apache.rocketmq.filter.expression.Expression;

/**
 * The SQL92 verdicts of the RocketMQ version under test, for the case table test/data/sql92-cases.json (and any
 * file of the same shape): every expression compiled as the broker compiles it
 * ({@code FilterFactory.INSTANCE.get("SQL92").compile}), then evaluated against each property set through the
 * broker's own {@code MessageEvaluationContext}, as {@code ExpressionMessageFilter.isMatchedByCommitLog} does.
 *
 * --cases FILE
 *
 * Prints one JSON line per case: {"i":n,"compiled":false,"message":"..."} or
 * {"i":n,"compiled":true,"results":["TRUE"|"FALSE"|"NULL"|"ERROR"|"OTHER",...],"errors":[null|"...",...]},
 * then "DONE n".
 */
public final class Sql92Driver {
    private Sql92Driver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String text = new String(Files.readAllBytes(Paths.get(args.require("cases"))), StandardCharsets.UTF_8);
        JSONArray cases = JSON.parseObject(text).getJSONArray("cases");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < cases.size(); i++) {
            JSONObject c = cases.getJSONObject(i);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("i", i);
            Expression expression;
            try {
                expression = FilterFactory.INSTANCE.get(ExpressionType.SQL92).compile(c.getString("sql"));
            } catch (Throwable e) {
                line.put("compiled", false);
                line.put("message", String.valueOf(e.getMessage()));
                out.append(Json.write(line)).append('\n');
                continue;
            }
            line.put("compiled", true);
            List<Object> results = new ArrayList<>();
            List<Object> errors = new ArrayList<>();
            JSONArray checks = c.getJSONArray("checks");
            for (int j = 0; checks != null && j < checks.size(); j++) {
                JSONObject props = checks.getJSONArray(j).getJSONObject(0);
                Map<String, String> properties = new HashMap<>();
                for (String key : props.keySet()) {
                    properties.put(key, props.getString(key));
                }
                try {
                    Object value = expression.evaluate(new MessageEvaluationContext(properties));
                    results.add(value == null ? "NULL" : value instanceof Boolean ? (((Boolean) value) ? "TRUE" : "FALSE") : "OTHER");
                    errors.add(value == null || value instanceof Boolean ? null : value.getClass().getName() + ": " + value);
                } catch (Throwable e) {
                    results.add("ERROR");
                    errors.add(e.toString());
                }
            }
            line.put("results", results);
            line.put("errors", errors);
            out.append(Json.write(line)).append('\n');
        }
        System.out.print(out);
        System.out.println("DONE " + cases.size());
        System.out.flush();
    }
}
