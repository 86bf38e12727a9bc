// Command producer is the rocketmq-ts interop producer driver: it sends -count messages to -topic with the
// Apache RocketMQ Go client (github.com/apache/rocketmq-client-go/v2) in one -mode (sync, async, oneway or batch)
// and prints one JSON line per result, then one summary JSON line. It exits 0 only when every send succeeded.
//
// Message i carries: body "go <mode> <i> h\u00e9llo \u2713" (padded to -size bytes when larger), tag -tag,
// key "<keys>-<i>" for each -keys prefix, and the properties kind=<mode>, seq=<i>, note="h\u00e9llo \u2713" and every
// -prop k=v. With -shards N, message i has the sharding key "shard-<i mod N>" (plus properties shard and shardSeq,
// its sequence within that key) and goes to the queue that the hash queue selector picks for that key.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type result struct {
	Mode        string `json:"mode"`
	Seq         int    `json:"seq"`
	Count       int    `json:"count,omitempty"`
	Keys        string `json:"keys"`
	Shard       string `json:"shard,omitempty"`
	Status      string `json:"status"`
	MsgID       string `json:"msgId"`
	OffsetMsgID string `json:"offsetMsgId"`
	BrokerName  string `json:"brokerName"`
	QueueID     int    `json:"queueId"`
	QueueOffset int64  `json:"queueOffset"`
	RegionID    string `json:"regionId"`
	Error       string `json:"error,omitempty"`
}

type summary struct {
	Summary bool     `json:"summary"`
	Mode    string   `json:"mode"`
	Topic   string   `json:"topic"`
	Count   int      `json:"count"`
	OK      int      `json:"ok"`
	MsgIDs  []string `json:"msgIds"`
	Errors  []string `json:"errors"`
	Millis  int64    `json:"millis"`
}

var out = json.NewEncoder(os.Stdout)
var outMu sync.Mutex

func emit(v interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(v)
}

func statusName(s primitive.SendStatus) string {
	switch s {
	case primitive.SendOK:
		return "SEND_OK"
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	default:
		return "UNKNOWN_ERROR"
	}
}

func main() {
	namesrv := flag.String("namesrv", "127.0.0.1:9876", "name server address(es), ';'-separated")
	topic := flag.String("topic", "", "topic")
	group := flag.String("group", "GO_INTEROP_PG", "producer group")
	mode := flag.String("mode", "sync", "sync|async|oneway|batch")
	count := flag.Int("count", 10, "messages to send")
	tag := flag.String("tag", "", "tag of every message")
	size := flag.Int("size", 0, "pad bodies to this many bytes")
	shards := flag.Int("shards", 0, "sharding keys (hash queue selector); 0: default selector")
	timeout := flag.Duration("timeout", 60*time.Second, "overall deadline")
	var keys, props multiFlag
	flag.Var(&keys, "keys", "key prefix (repeatable): message i gets key <prefix>-<i>")
	flag.Var(&props, "prop", "user property k=v (repeatable)")
	flag.Parse()
	rlog.SetLogLevel(envOr("ROCKETMQ_GO_LOG_LEVEL", "error"))
	if *topic == "" {
		fail("-topic is required")
	}

	opts := []producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver(strings.Split(*namesrv, ";"))),
		producer.WithGroupName(*group),
		producer.WithInstanceName(fmt.Sprintf("go-interop-%d", os.Getpid())),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5 * time.Second),
	}
	if *shards > 0 {
		opts = append(opts, producer.WithQueueSelector(producer.NewHashQueueSelector()))
	}
	p, err := rocketmq.NewProducer(opts...)
	if err != nil {
		fail("new producer: " + err.Error())
	}
	if err := p.Start(); err != nil {
		fail("start producer: " + err.Error())
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	shardSeq := map[string]int{}
	msgs := make([]*primitive.Message, *count)
	for i := range msgs {
		body := fmt.Sprintf("go %s %d h\u00e9llo \u2713", *mode, i)
		for len(body) < *size {
			body += " " + strconv.Itoa(i)
		}
		if *size > 0 && len(body) > *size {
			body = body[:*size]
		}
		m := primitive.NewMessage(*topic, []byte(body))
		if *tag != "" {
			m.WithTag(*tag)
		}
		if len(keys) > 0 {
			ks := make([]string, len(keys))
			for j, k := range keys {
				ks[j] = fmt.Sprintf("%s-%d", k, i)
			}
			m.WithKeys(ks)
		}
		m.WithProperty("kind", *mode)
		m.WithProperty("seq", strconv.Itoa(i))
		m.WithProperty("note", "h\u00e9llo \u2713")
		for _, kv := range props {
			k, v, _ := strings.Cut(kv, "=")
			m.WithProperty(k, v)
		}
		if *shards > 0 {
			shard := fmt.Sprintf("shard-%d", i%*shards)
			m.WithShardingKey(shard)
			m.WithProperty("shard", shard)
			m.WithProperty("shardSeq", strconv.Itoa(shardSeq[shard]))
			shardSeq[shard]++
		}
		msgs[i] = m
	}

	s := summary{Summary: true, Mode: *mode, Topic: *topic, Count: *count, MsgIDs: []string{}, Errors: []string{}}
	var mu sync.Mutex
	record := func(seq int, m *primitive.Message, n int, res *primitive.SendResult, err error) {
		r := result{Mode: *mode, Seq: seq, Count: n, Keys: m.GetKeys(), Shard: m.GetShardingKey()}
		if err != nil {
			r.Status = "ERROR"
			r.Error = err.Error()
		} else if res == nil {
			r.Status = "SENT" // oneway: no result; the client put its UNIQ_KEY on the message
			r.MsgID = m.GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex)
		} else {
			r.Status = statusName(res.Status)
			r.MsgID = res.MsgID
			r.OffsetMsgID = res.OffsetMsgID
			if res.MessageQueue != nil {
				r.BrokerName = res.MessageQueue.BrokerName
				r.QueueID = res.MessageQueue.QueueId
			}
			r.QueueOffset = res.QueueOffset
			r.RegionID = res.RegionID
		}
		mu.Lock()
		if r.Status == "SEND_OK" || r.Status == "SENT" {
			s.OK += n
			if r.MsgID != "" {
				s.MsgIDs = append(s.MsgIDs, r.MsgID)
			}
		} else {
			s.Errors = append(s.Errors, fmt.Sprintf("seq %d: %s %s", seq, r.Status, r.Error))
		}
		mu.Unlock()
		emit(r)
	}

	switch *mode {
	case "sync":
		for i, m := range msgs {
			res, err := p.SendSync(ctx, m)
			record(i, m, 1, res, err)
		}
	case "async":
		var wg sync.WaitGroup
		for i, m := range msgs {
			i, m := i, m
			wg.Add(1)
			err := p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
				defer wg.Done()
				record(i, m, 1, res, err)
			}, m)
			if err != nil {
				wg.Done()
				record(i, m, 1, nil, err)
			}
		}
		wg.Wait()
	case "oneway":
		for i, m := range msgs {
			record(i, m, 1, nil, p.SendOneWay(ctx, m))
		}
	case "batch":
		res, err := p.SendSync(ctx, msgs...)
		record(0, msgs[0], len(msgs), res, err)
	default:
		fail("unknown -mode " + *mode)
	}
	s.Millis = time.Since(started).Milliseconds()
	_ = p.Shutdown()
	emit(s)
	if len(s.Errors) > 0 {
		os.Exit(1)
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}
