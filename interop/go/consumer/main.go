// Command consumer is the rocketmq-ts interop push consumer driver: a DefaultPushConsumer of
// github.com/apache/rocketmq-client-go/v2 (clustering, from the first offset, concurrent or -orderly) subscribed to
// -topic with -expr. It prints "READY" once started, then, when -expect distinct messages (by msgId) arrived or
// -timeout passed, one JSON line: status DONE or TIMEOUT, and every delivery in arrival order (msgId, body text
// and SHA-256, tags, keys, properties, queueId, queueOffset, reconsumeTimes). With -orderly it also reports
// whether two deliveries of one queue ever overlapped. Exits 0 on DONE, 1 on TIMEOUT.
//
// -pause-after N holds every delivery after the first N distinct ones (printing "PAUSED N" once) until the file
// -resume-file exists; with a small -pull-batch and -pull-threshold the client then holds few messages in memory,
// so a test can stop a broker while the consumer is paused and see the rest come from elsewhere (a slave).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

type received struct {
	MsgID          string            `json:"msgId"`
	OffsetMsgID    string            `json:"offsetMsgId"`
	Topic          string            `json:"topic"`
	Body           string            `json:"body,omitempty"`
	BodySha256     string            `json:"bodySha256"`
	BodyLength     int               `json:"bodyLength"`
	Tags           string            `json:"tags"`
	Keys           string            `json:"keys"`
	Properties     map[string]string `json:"properties"`
	QueueID        int               `json:"queueId"`
	QueueOffset    int64             `json:"queueOffset"`
	ReconsumeTimes int32             `json:"reconsumeTimes"`
	BornHost       string            `json:"bornHost"`
	StoreHost      string            `json:"storeHost"`
}

type report struct {
	Status     string     `json:"status"`
	Distinct   int        `json:"distinct"`
	Overlapped []string   `json:"overlapped"`
	Millis     int64      `json:"millis"`
	Received   []received `json:"received"`
}

func main() {
	namesrv := flag.String("namesrv", "127.0.0.1:9876", "name server address(es), ';'-separated")
	group := flag.String("group", "GO_INTEROP_CG", "consumer group")
	topic := flag.String("topic", "", "topic")
	expr := flag.String("expr", "*", "tag expression")
	orderly := flag.Bool("orderly", false, "consume orderly (locks queues on the broker)")
	expect := flag.Int("expect", 1, "distinct messages to wait for")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after")
	pauseAfter := flag.Int("pause-after", 0, "hold deliveries after this many distinct messages until -resume-file exists (0: never)")
	resumeFile := flag.String("resume-file", "", "the file whose existence ends the pause")
	pullBatch := flag.Int("pull-batch", 0, "messages per pull (0: the client's default, 32)")
	pullThreshold := flag.Int("pull-threshold", 0, "messages cached per queue before pulls pause (0: the client's default, 1024)")
	flag.Parse()
	rlog.SetLogLevel(envOr("ROCKETMQ_GO_LOG_LEVEL", "error"))
	if *topic == "" {
		fmt.Fprintln(os.Stderr, "-topic is required")
		os.Exit(2)
	}

	started := time.Now()
	var mu sync.Mutex
	rep := report{Overlapped: []string{}, Received: []received{}}
	seen := map[string]bool{}
	active := map[int]bool{}
	done := make(chan struct{})
	var once sync.Once

	options := []consumer.Option{
		consumer.WithNsResolver(primitive.NewPassthroughResolver(strings.Split(*namesrv, ";"))),
		consumer.WithGroupName(*group),
		consumer.WithInstance(fmt.Sprintf("go-interop-%d", os.Getpid())),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumerOrder(*orderly),
	}
	if *pullBatch > 0 {
		options = append(options, consumer.WithPullBatchSize(int32(*pullBatch)))
	}
	if *pullThreshold > 0 {
		options = append(options, consumer.WithPullThresholdForQueue(int64(*pullThreshold)))
	}
	var pauseOnce sync.Once
	// waitForResume blocks a delivery (outside the lock) while the pause lasts; bounded by -timeout.
	waitForResume := func() {
		pauseOnce.Do(func() { fmt.Printf("PAUSED %d\n", *pauseAfter) })
		deadline := time.Now().Add(*timeout)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(*resumeFile); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	c, err := rocketmq.NewPushConsumer(options...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "new push consumer:", err)
		os.Exit(2)
	}
	err = c.Subscribe(*topic, consumer.MessageSelector{Type: consumer.TAG, Expression: *expr},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			if len(msgs) == 0 {
				return consumer.ConsumeSuccess, nil
			}
			queue := msgs[0].Queue.QueueId
			mu.Lock()
			paused := *pauseAfter > 0 && len(seen) >= *pauseAfter
			mu.Unlock()
			if paused {
				waitForResume()
			}
			mu.Lock()
			if active[queue] {
				rep.Overlapped = append(rep.Overlapped, fmt.Sprintf("queue %d at offset %d", queue, msgs[0].QueueOffset))
			}
			active[queue] = true
			mu.Unlock()
			time.Sleep(time.Millisecond) // widen the window in which a concurrent delivery of one queue would show
			mu.Lock()
			defer mu.Unlock()
			active[queue] = false
			for _, m := range msgs {
				rep.Received = append(rep.Received, describe(m))
				seen[m.MsgId] = true
			}
			if len(seen) >= *expect {
				once.Do(func() { close(done) })
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		os.Exit(2)
	}
	if err := c.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start push consumer:", err)
		os.Exit(2)
	}
	fmt.Println("READY")

	status := "DONE"
	select {
	case <-done:
	case <-time.After(*timeout):
		status = "TIMEOUT"
	}
	mu.Lock()
	rep.Status = status
	rep.Distinct = len(seen)
	rep.Millis = time.Since(started).Milliseconds()
	line, _ := json.Marshal(rep)
	mu.Unlock()
	fmt.Println(string(line))

	stopped := make(chan struct{})
	go func() { _ = c.Shutdown(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		fmt.Fprintln(os.Stderr, "shutdown took over 5 s; exiting anyway")
	}
	if status != "DONE" {
		os.Exit(1)
	}
}

func describe(m *primitive.MessageExt) received {
	sum := sha256.Sum256(m.Body)
	r := received{
		MsgID:          m.MsgId,
		OffsetMsgID:    m.OffsetMsgId,
		Topic:          m.Topic,
		BodySha256:     hex.EncodeToString(sum[:]),
		BodyLength:     len(m.Body),
		Tags:           m.GetTags(),
		Keys:           m.GetKeys(),
		Properties:     m.GetProperties(),
		QueueOffset:    m.QueueOffset,
		ReconsumeTimes: m.ReconsumeTimes,
		BornHost:       m.BornHost,
		StoreHost:      m.StoreHost,
	}
	if m.Queue != nil {
		r.QueueID = m.Queue.QueueId
	}
	if utf8.Valid(m.Body) {
		r.Body = string(m.Body)
	}
	return r
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
