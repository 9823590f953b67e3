// Proves consumers can reach the end of a partition although each new leader's LeaderChange control batch sits
// in the log (one after every restart; a new topic's first leader has an empty log and writes none, so its first
// record takes offset 0): Fetch leaves those batches out, so the broker tells consumers the high watermark less
// the control batches that end the log. Against a real broker process, kcat's -e (exit at the end) and
// kafka-python's end offsets and position: a new topic's end is 0, and after a restart the end is where the last
// message ends, with no lag left to a consumer that read it all.

import { expect, test } from "bun:test";
import { runClient } from "../support/in-process-broker.ts";
import { kcatReadToEnd } from "../support/kcat.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("partition-end");
const readToEnd = (topic: string) => kcatReadToEnd(broker.address(), topic, "%o:%s\\n");

/** kafka-python: the partition's end offset, and a consumer's position after reading everything. */
const endScript = `
import sys
from kafka import KafkaConsumer, TopicPartition
broker, topic = sys.argv[1], sys.argv[2]
partition = TopicPartition(topic, 0)
consumer = KafkaConsumer(bootstrap_servers=broker, consumer_timeout_ms=2000)
consumer.assign([partition])
consumer.seek_to_beginning(partition)
values = [m.value.decode() for m in consumer]
end = consumer.end_offsets([partition])[partition]
print(end, consumer.position(partition), ",".join(values))
`;

test("a new topic ends at 0, and after a restart the end is where the last message ends", async () => {
  await runClient(["kcat", "-b", broker.address(), "-L", "-t", "ends"]);
  expect(await readToEnd("ends")).toEqual([]);
  expect((await runClient(["/usr/bin/python3", "-c", endScript, broker.address(), "ends"])).trim()).toBe(
    "0 0",
  );

  await runClient(["kcat", "-b", broker.address(), "-P", "-t", "ends"], "a\nb\nc\n");
  // The first leader had an empty log and wrote no LeaderChange batch: the messages take 0-2, as in Kafka.
  expect(await readToEnd("ends")).toEqual(["0:a", "1:b", "2:c"]);

  await broker.restart();
  // The new leader's LeaderChange batch now takes offset 3, after the last message.
  expect(await readToEnd("ends")).toEqual(["0:a", "1:b", "2:c"]);
  expect((await runClient(["/usr/bin/python3", "-c", endScript, broker.address(), "ends"])).trim()).toBe(
    "3 3 a,b,c",
  );

  await runClient(["kcat", "-b", broker.address(), "-P", "-t", "ends"], "d\n");
  expect(await readToEnd("ends")).toEqual(["0:a", "1:b", "2:c", "4:d"]);
}, 60_000);
