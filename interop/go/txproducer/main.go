// Command txproducer is the rocketmq-ts interop transaction driver: a transaction producer of the Apache RocketMQ
// Go client (github.com/apache/rocketmq-client-go/v2) sends one transactional message per -outcomes entry (key
// "tx-<outcome>-<index>") and answers its local transaction and the broker's checks by outcome: commit and
// rollback at once, unknown-commit with UNKNOW and then COMMIT on the second check, unknown with UNKNOW to every
// check. It prints one JSON line per send ("send") and per check ("check"), then "SENT", and lingers -linger for
// the checks before it shuts down.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

var out = json.NewEncoder(os.Stdout)
var outMu sync.Mutex

func emit(v interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(v)
}

// outcomeOf: "tx-unknown-commit-2" -> "unknown-commit".
func outcomeOf(key string) string {
	rest := strings.TrimPrefix(key, "tx-")
	if i := strings.LastIndex(rest, "-"); i >= 0 {
		return rest[:i]
	}
	return rest
}

func stateName(s primitive.LocalTransactionState) string {
	switch s {
	case primitive.CommitMessageState:
		return "COMMIT_MESSAGE"
	case primitive.RollbackMessageState:
		return "ROLLBACK_MESSAGE"
	default:
		return "UNKNOW"
	}
}

type listener struct {
	mu     sync.Mutex
	checks map[string]int
}

func (l *listener) ExecuteLocalTransaction(msg *primitive.Message) primitive.LocalTransactionState {
	switch outcomeOf(msg.GetKeys()) {
	case "commit":
		return primitive.CommitMessageState
	case "rollback":
		return primitive.RollbackMessageState
	default:
		return primitive.UnknowState
	}
}

func (l *listener) CheckLocalTransaction(msg *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	l.checks[msg.GetKeys()]++
	n := l.checks[msg.GetKeys()]
	l.mu.Unlock()
	state := primitive.UnknowState
	switch outcomeOf(msg.GetKeys()) {
	case "unknown-commit":
		if n >= 2 {
			state = primitive.CommitMessageState
		}
	case "commit":
		state = primitive.CommitMessageState
	case "rollback":
		state = primitive.RollbackMessageState
	}
	emit(map[string]interface{}{
		"event": "check", "key": msg.GetKeys(), "n": n, "answer": stateName(state), "topic": msg.Topic,
		"checkTimes": msg.GetProperty("TRANSACTION_CHECK_TIMES"),
	})
	return state
}

func main() {
	namesrv := flag.String("namesrv", "127.0.0.1:9876", "name server address(es), ';'-separated")
	topic := flag.String("topic", "", "topic")
	group := flag.String("group", "GoTxProducer", "producer group")
	outcomes := flag.String("outcomes", "commit", "comma-separated outcomes: commit, rollback, unknown-commit, unknown")
	linger := flag.Duration("linger", 10*time.Second, "how long to stay online for the broker's checks")
	flag.Parse()
	rlog.SetLogLevel("error")
	if *topic == "" {
		fmt.Fprintln(os.Stderr, "-topic is required")
		os.Exit(2)
	}
	p, err := rocketmq.NewTransactionProducer(&listener{checks: map[string]int{}},
		producer.WithNsResolver(primitive.NewPassthroughResolver(strings.Split(*namesrv, ";"))),
		producer.WithGroupName(*group),
		producer.WithInstanceName(fmt.Sprintf("go-tx-%d", os.Getpid())),
		producer.WithRetry(1),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "new transaction producer: "+err.Error())
		os.Exit(2)
	}
	if err := p.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start: "+err.Error())
		os.Exit(2)
	}
	failures := 0
	for i, outcome := range strings.Split(*outcomes, ",") {
		key := fmt.Sprintf("tx-%s-%d", outcome, i)
		msg := primitive.NewMessage(*topic, []byte("transactional "+key))
		msg.WithKeys([]string{key})
		msg.WithTag("TagTx")
		line := map[string]interface{}{"event": "send", "key": key}
		res, err := p.SendMessageInTransaction(context.Background(), msg)
		if err != nil {
			line["error"] = err.Error()
			failures++
		} else {
			line["state"] = stateName(res.State)
			line["msgId"] = res.MsgID
			line["offsetMsgId"] = res.OffsetMsgID
		}
		emit(line)
	}
	fmt.Println("SENT")
	time.Sleep(*linger)
	_ = p.Shutdown()
	if failures > 0 {
		os.Exit(1)
	}
}
