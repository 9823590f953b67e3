"""Load generator for bench/broker.bench.ts: librdkafka (confluent-kafka) producing and consuming against a broker.

Each mode prints one JSON line on stdout; the bench runs this script as its own process so the broker and the
client each get their own CPU (on a 2-core machine they share both cores).

  create  BOOTSTRAP TOPIC PARTITIONS [REPLICATION_FACTOR]
  produce BOOTSTRAP TOPIC VALUE_BYTES ACKS SECONDS      throughput, librdkafka batching
  latency BOOTSTRAP TOPIC VALUE_BYTES ACKS RATE SECONDS LINGER_MS   delivery latency at a steady rate
  consume BOOTSTRAP TOPIC PARTITIONS COUNT               read everything from offset 0
  fsync   DIRECTORY COUNT                                4 KiB write + fdatasync latency on that disk
"""

import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def producer_config(bootstrap, acks, report_only_errors, linger_ms=5):
    return {
        "bootstrap.servers": bootstrap,
        "acks": acks,
        "linger.ms": linger_ms,
        "batch.size": 1_000_000,
        "batch.num.messages": 100_000,
        "compression.type": "none",
        "queue.buffering.max.messages": 1_000_000,
        # Bounded so a run's flush() at the end stays short: produce() blocks instead of queueing seconds of data.
        "queue.buffering.max.kbytes": 131_072,
        "message.max.bytes": 1_000_000,
        # Only failures call back in throughput runs: a Python callback per message would cap the generator
        # well below the broker. Delivered = produced - failed once flush() has drained the queue.
        "delivery.report.only.error": report_only_errors,
        "enable.idempotence": False,
    }


def create(bootstrap, topic, partitions, replication_factor="1"):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    new_topic = NewTopic(topic, num_partitions=int(partitions), replication_factor=int(replication_factor))
    admin.create_topics([new_topic])[topic].result(30)
    return {"topic": topic, "partitions": int(partitions), "replication_factor": int(replication_factor)}


def produce(bootstrap, topic, value_bytes, acks, seconds):
    """Produces as fast as librdkafka accepts for `seconds`, then waits for every acknowledgement."""
    value_bytes, seconds = int(value_bytes), float(seconds)
    failures = []

    def on_error(error, _message):
        if error is not None:
            failures.append(str(error))

    producer = Producer(producer_config(bootstrap, acks, True))
    value = b"v" * value_bytes
    producer.list_topics(topic, 10)  # connect and learn the leader before the clock starts
    cpu_started = time.process_time()
    started = time.perf_counter()
    stop_at = started + seconds
    count = 0
    while time.perf_counter() < stop_at:
        for _ in range(1000):
            try:
                producer.produce(topic, value, on_delivery=on_error)
            except BufferError:
                producer.poll(0.001)
                continue
            count += 1
        producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - started
    if remaining != 0 or failures:
        raise SystemExit(f"{remaining} undelivered, {len(failures)} failed: {failures[:3]}")
    return {
        "delivered": count,
        "seconds": elapsed,
        "value_bytes": count * value_bytes,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def latency(bootstrap, topic, value_bytes, acks, rate, seconds, linger_ms):
    value_bytes, rate, seconds = int(value_bytes), int(rate), float(seconds)
    latencies = []
    failures = []
    producer = Producer(producer_config(bootstrap, acks, False, int(linger_ms)))
    producer.list_topics(topic, 10)
    value = b"v" * value_bytes
    cpu_started = time.process_time()
    total = int(rate * seconds)
    tick = 0.001  # send in 1 ms slices so the rate is steady, not one burst per second
    per_tick = rate * tick
    started = time.perf_counter()
    sent = 0
    behind_max = 0.0
    while sent < total:
        now = time.perf_counter()
        due = min(total, int((now - started) / tick * per_tick) + 1)
        behind_max = max(behind_max, (due - sent) / rate)
        while sent < due:
            sent_at = time.perf_counter()

            def delivered(error, _message, sent_at=sent_at):
                if error is None:
                    latencies.append(time.perf_counter() - sent_at)
                else:
                    failures.append(str(error))

            producer.produce(topic, value, on_delivery=delivered)
            sent += 1
        producer.poll(0)
        next_at = started + (sent / per_tick) * tick
        pause = next_at - time.perf_counter()
        if pause > 0:
            # poll() doubles as the sleep, so delivery callbacks run (and are timed) promptly. Its timeout is
            # whole milliseconds: anything shorter would spin and steal a core from the broker.
            producer.poll(max(pause, 0.001))
    elapsed = time.perf_counter() - started
    if producer.flush(30) != 0 or failures:
        raise SystemExit(f"latency run: {len(failures)} failed: {failures[:3]}")
    latencies.sort()
    ms = lambda value: round(value * 1000, 3)  # noqa: E731
    return {
        "delivered": len(latencies),
        "offered_rate": rate,
        "achieved_rate": sent / elapsed,
        "p50_ms": ms(percentile(latencies, 0.50)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "p999_ms": ms(percentile(latencies, 0.999)),
        "max_ms": ms(latencies[-1]),
        "generator_behind_max_ms": ms(behind_max),
        "seconds": elapsed,
        "value_bytes": len(latencies) * value_bytes,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def consume(bootstrap, topic, partitions, count):
    partitions, count = int(partitions), int(count)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-reader",
            "enable.auto.commit": False,
            "fetch.max.bytes": 52_428_800,
            "max.partition.fetch.bytes": 52_428_800,
            "fetch.wait.max.ms": 100,
            "queued.max.messages.kbytes": 1_048_576,
            # librdkafka stops fetching once queued.min.messages are queued, and (before 2.2, which split out
            # fetch.queue.backoff.ms) waits fetch.error.backoff.ms before looking again: with 100 B values the
            # defaults idle the consumer for much of the run.
            "queued.min.messages": 10_000_000,
            "fetch.error.backoff.ms": 10,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    read = 0
    value_bytes = 0
    cpu_started = time.process_time()
    started = time.perf_counter()
    while read < count:
        # consume() waits until it has num_messages or the timeout passes: never ask for more than remain.
        messages = consumer.consume(min(100_000, count - read), 10)
        if not messages:
            raise SystemExit(f"consume stalled after {read} of {count} messages")
        for message in messages:
            if message.error() is not None:
                raise KafkaException(message.error())
            value_bytes += len(message.value())
        read += len(messages)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    consumer.close()
    return {"read": read, "seconds": seconds, "value_bytes": value_bytes, "cpu_seconds": cpu_seconds}


def fsync(directory, count):
    """What one 4 KiB write + fdatasync costs on this disk: the floor under an acks=-1 produce's latency."""
    path = os.path.join(directory, "fsync-probe")
    latencies = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        block = b"x" * 4096
        for _ in range(int(count)):
            started = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            latencies.append(time.perf_counter() - started)
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()
    return {"count": len(latencies), **{f"p{q}_ms": percentile(latencies, q / 100) * 1000 for q in (50, 99)}}


MODES = {"create": create, "produce": produce, "latency": latency, "consume": consume, "fsync": fsync}

if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    print(json.dumps(MODES[mode](*arguments)), flush=True)
