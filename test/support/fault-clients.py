# The clients of the fault runs (test/support/fault-run.ts), on confluent-kafka (librdkafka). One line per event on
# stdout, flushed at once, so a client killed mid-run still leaves its record behind.
#   produce BROKERS TOPIC NAME SECONDS: an idempotent acks=all producer of values NAME-SEQ; "A value" per ack,
#       "F value error" per failure, "END acked failed unflushed" at the end.
#   consume BROKERS TOPIC GROUP NAME SECONDS: a group member committing what it read (sync); "R partition offset
#       value" per record read, "C partition offset" per committed offset the broker accepted, "E error" per
#       failed commit.
#   committed BROKERS TOPIC GROUP PARTITIONS: the group's committed offsets as the broker answers them; "G
#       partition offset" (-1001 when none).
#   read BROKERS TOPIC PARTITIONS: every record of every partition from the beginning to the high watermark;
#       "R partition offset value" and "H partition high_watermark".
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def produce(brokers, topic, name, seconds):
    counts = {"acked": 0, "failed": 0}

    def report(error, message):
        value = message.value().decode()
        if error is None:
            counts["acked"] += 1
            out(f"A {value}")
        else:
            counts["failed"] += 1
            out(f"F {value} {str(error).replace(' ', '_')}")

    producer = Producer({
        "bootstrap.servers": brokers,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 30000,
        "request.timeout.ms": 5000,
        "reconnect.backoff.max.ms": 500,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    deadline = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < deadline:
        value = f"{name}-{seq}"
        try:
            producer.produce(topic, key=str(seq).encode(), value=value.encode(), callback=report)
            seq += 1
        except BufferError:
            producer.poll(0.05)
            continue
        producer.poll(0)
        if seq % 20 == 0:
            time.sleep(0.01)
    unflushed = producer.flush(60)
    out(f"END {counts['acked']} {counts['failed']} {unflushed}")


def consume(brokers, topic, group, name, seconds):
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": group,
        "client.id": name,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 1000,
        "reconnect.backoff.max.ms": 500,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    consumer.subscribe([topic])
    deadline = time.monotonic() + seconds
    last_commit = time.monotonic()
    read_since_commit = False
    while time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is not None:
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    out(f"E {str(message.error()).replace(' ', '_')}")
            else:
                out(f"R {message.partition()} {message.offset()} {message.value().decode()}")
                read_since_commit = True
        if read_since_commit and time.monotonic() - last_commit > 0.5:
            last_commit = time.monotonic()
            read_since_commit = False
            try:
                # Commits the positions: one past the last record read of each assigned partition.
                for tp in consumer.commit(asynchronous=False) or []:
                    if tp.error is None and tp.offset >= 0:
                        out(f"C {tp.partition} {tp.offset}")
            except KafkaException as error:
                out(f"E {str(error).replace(' ', '_')}")
    consumer.close()
    out("END")


def read(brokers, topic, partitions):
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"fault-reader-{time.time()}",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    highs = {}
    for partition in range(partitions):
        # Right after the last heal a partition may still be electing: ask again until it answers.
        for attempt in range(60):
            try:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                break
            except KafkaException as error:
                out(f"E {str(error).replace(' ', '_')}")
                time.sleep(1)
        highs[partition] = high
        out(f"H {partition} {high}")
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    done = {p for p in range(partitions) if highs[p] == 0}
    # Generous: a long run leaves a million records, and the machine may be loaded.
    deadline = time.monotonic() + 900
    while len(done) < partitions and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                if message.offset() >= highs[message.partition()]:
                    done.add(message.partition())
            continue
        out(f"R {message.partition()} {message.offset()} {message.value().decode()}")
    consumer.close()
    out(f"END {len(done)}")


def committed(brokers, topic, group, partitions):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
    for tp in consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30):
        out(f"G {tp.partition} {tp.offset}")
    consumer.close()
    out("END")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif mode == "consume":
        consume(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]))
    elif mode == "read":
        read(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "committed":
        committed(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        raise SystemExit(f"unknown mode {mode}")
