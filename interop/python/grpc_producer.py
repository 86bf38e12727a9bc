"""The RocketMQ 5.x Python SDK (rocketmq-python-client, pinned in requirements.txt) as a producer against an endpoint.

Starts a producer of the four typed topics, sends NORMAL (tag, keys, property), FIFO x3 (one message group), DELAY
(+2 s; the SDK takes seconds) and a committed transactional message, then a NORMAL message to the FIFO topic (which
the SDK must refuse). Prints one JSON line per step and DONE.

usage: grpc_producer.py ENDPOINTS PREFIX
"""
import json
import os
import sys
import time

from rocketmq import (ClientConfiguration, Credentials, Message, Producer,
                      TransactionChecker, TransactionResolution)


class Checker(TransactionChecker):
    def check(self, message):
        return TransactionResolution.COMMIT


def message(topic, body, **fields):
    m = Message()
    m.topic = topic
    m.body = body.encode()
    for name, value in fields.items():
        setattr(m, name, value)
    return m


def sent(kind, receipt):
    print(json.dumps({"event": "send", "kind": kind, "messageId": receipt.message_id}), flush=True)


def main():
    endpoints, prefix = sys.argv[1], sys.argv[2]
    begin = time.time()
    producer = Producer(ClientConfiguration(endpoints, Credentials()),
                        ("TopicNORMAL", "TopicFIFO", "TopicDELAY", "TopicTRANSACTION"), checker=Checker())
    producer.startup()
    print(json.dumps({"event": "started", "millis": int((time.time() - begin) * 1000)}), flush=True)
    normal = message("TopicNORMAL", prefix + "-normal", tag="TagP", keys="kp")
    normal.add_property("pp", "vp")
    sent("normal", producer.send(normal))
    for i in range(3):
        sent("fifo", producer.send(message("TopicFIFO", "%s-fifo-%d" % (prefix, i), message_group="pg")))
    sent("delay", producer.send(message("TopicDELAY", prefix + "-delay", delivery_timestamp=int(time.time()) + 2)))
    tx = producer.begin_transaction()
    receipt = producer.send(message("TopicTRANSACTION", prefix + "-tx"), tx)
    tx.commit()
    sent("transaction", receipt)
    try:
        producer.send(message("TopicFIFO", prefix + "-wrong"))
        print(json.dumps({"event": "wrongType", "error": "none"}), flush=True)
    except Exception as e:  # the SDK refuses before any RPC
        print(json.dumps({"event": "wrongType", "error": type(e).__name__}), flush=True)
    producer.shutdown()
    print("DONE", flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
