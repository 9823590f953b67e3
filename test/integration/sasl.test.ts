// Proves SASL as Kafka clients use it, against a broker whose users come from --sasl-users: kcat and
// confluent-kafka over SASL_SSL with SCRAM-SHA-512 and PLAIN, kafkajs with SCRAM-SHA-256; credentials managed
// with AlterUserScramCredentials / DescribeUserScramCredentials; KIP-368 session lifetimes and
// re-authentication; and every refusal (skipped handshake, SaslAuthenticate first, wrong password, unknown user,
// unknown mechanism, garbage) answered with Kafka's error and a closed connection, the broker unharmed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pbkdf2Sync } from "node:crypto";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createAlterUserScramCredentialsRequest } from "../../src/protocol/messages/alter-user-scram-credentials.ts";
import { createDescribeUserScramCredentialsRequest } from "../../src/protocol/messages/describe-user-scram-credentials.ts";
import { createMetadataRequest } from "../../src/protocol/messages/metadata.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { createSaslAuthenticateRequest } from "../../src/protocol/messages/sasl-authenticate.ts";
import { runClient } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { freePorts, type ServerProcess, startServer } from "../support/server-process.ts";
import { makeTestCertificates, type TestCertificates } from "../support/tls-certificates.ts";

let certs: TestCertificates;
let server: ServerProcess;
let saslPlain: number;
let saslSsl: number;
const reauthMs = 3_000;

beforeAll(async () => {
  certs = await makeTestCertificates();
  [saslPlain, saslSsl] = (await freePorts(2)) as [number, number];
  const usersFile = join(certs.dir, "users.txt");
  await Bun.write(usersFile, "# seeded users\nadmin:admin-secret\nalice:alice:with:colons\n");
  server = await startServer({
    args: [
      ...["--listeners", `SASL_PLAINTEXT://127.0.0.1:${saslPlain},SASL_SSL://127.0.0.1:${saslSsl}`],
      ...["--tls-cert", certs.serverCert, "--tls-key", certs.serverKey, "--sasl-users", usersFile],
      ...["--connections-max-reauth-ms", String(reauthMs)],
    ],
  });
});
afterAll(async () => {
  await server?.stop();
  certs?.remove();
});

async function kcat(args: string[], input?: string) {
  const proc = Bun.spawn(["timeout", "20", "kcat", ...args], {
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, stdout, stderr };
}

const saslSslArgs = (mechanism: string, user: string, password: string) => [
  ...[
    "-b",
    `localhost:${saslSsl}`,
    "-X",
    "security.protocol=SASL_SSL",
    "-X",
    `ssl.ca.location=${certs.caCert}`,
  ],
  ...["-X", `sasl.mechanisms=${mechanism}`, "-X", `sasl.username=${user}`, "-X", `sasl.password=${password}`],
];

describe("real clients", () => {
  test("kcat over SASL_SSL: SCRAM-SHA-512 produces, PLAIN consumes", async () => {
    const produced = await kcat(
      ["-P", ...saslSslArgs("SCRAM-SHA-512", "admin", "admin-secret"), "-t", "sasl"],
      "a\nb\n",
    );
    expect(produced.exitCode).toBe(0);
    const consumed = await kcat([
      ...["-C", "-e", "-q", "-o", "beginning", "-t", "sasl"],
      ...saslSslArgs("PLAIN", "alice", "alice:with:colons"),
    ]);
    expect(consumed.stdout.split("\n").filter((line) => line !== "")).toEqual(["a", "b"]);
  });

  test("kcat with a wrong password is refused", async () => {
    const refused = await kcat(["-L", "-m", "3", ...saslSslArgs("SCRAM-SHA-512", "admin", "wrong")]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain("Authentication failed");
  });

  test("confluent-kafka over SASL_SSL with SCRAM-SHA-512 and with PLAIN", async () => {
    const script = `
import sys
from confluent_kafka import Producer, Consumer
port, ca, mechanism, user, password = sys.argv[1:6]
conf = {"bootstrap.servers": f"localhost:{port}", "security.protocol": "SASL_SSL", "ssl.ca.location": ca,
        "sasl.mechanisms": mechanism, "sasl.username": user, "sasl.password": password}
p = Producer(conf)
p.produce("sasl-py", value=mechanism.encode())
assert p.flush(15) == 0
c = Consumer({**conf, "group.id": "py-" + mechanism, "auto.offset.reset": "earliest"})
c.subscribe(["sasl-py"])
seen = []
for _ in range(60):
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        seen.append(m.value().decode())
        if mechanism in seen: break
c.close()
print(",".join(seen))
`;
    for (const [mechanism, user, password] of [
      ["SCRAM-SHA-512", "admin", "admin-secret"],
      ["PLAIN", "alice", "alice:with:colons"],
    ] as const) {
      const out = await runClient([
        "/usr/bin/python3",
        "-c",
        script,
        String(saslSsl),
        certs.caCert,
        mechanism,
        user,
        password,
      ]);
      expect(out).toContain(mechanism);
    }
  }, 60_000);

  test("kafkajs with SCRAM-SHA-256 over SASL_SSL administers topics", async () => {
    const kafka = new Kafka({
      clientId: "sasl-kafkajs",
      brokers: [`localhost:${saslSsl}`],
      ssl: { ca: [await Bun.file(certs.caCert).text()] },
      sasl: { mechanism: "scram-sha-256", username: "admin", password: "admin-secret" },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "from-kafkajs", numPartitions: 2 }] });
      expect(await admin.listTopics()).toContain("from-kafkajs");
    } finally {
      await admin.disconnect();
    }
    const wrong = new Kafka({
      clientId: "sasl-kafkajs-wrong",
      brokers: [`localhost:${saslSsl}`],
      ssl: { ca: [await Bun.file(certs.caCert).text()] },
      sasl: { mechanism: "plain", username: "admin", password: "nope" },
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL PLAIN authentication failed/);
  });
});

/** A raw connection on the SASL_PLAINTEXT listener. */
async function raw(): Promise<RawKafkaClient> {
  return RawKafkaClient.connect(saslPlain);
}

async function handshake(client: RawKafkaClient, mechanism: string) {
  return client.request(ApiKey.SaslHandshake, 1, { mechanism });
}

async function authenticate(client: RawKafkaClient, bytes: Uint8Array | string) {
  const authBytes = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return client.request(ApiKey.SaslAuthenticate, 2, { ...createSaslAuthenticateRequest(), authBytes });
}

async function metadataAnswered(client: RawKafkaClient): Promise<boolean> {
  const response = await client.request(ApiKey.Metadata, 12, { ...createMetadataRequest(), topics: [] });
  return response.clusterId !== null;
}

/** Authenticates with PLAIN and proves the connection then serves requests: the broker is unharmed. */
async function plainLogin(user = "admin", password = "admin-secret") {
  const client = await raw();
  expect((await handshake(client, "PLAIN")).errorCode).toBe(0);
  const response = await authenticate(client, `\0${user}\0${password}`);
  return { client, response };
}

async function expectBrokerUnharmed(): Promise<void> {
  const { client, response } = await plainLogin();
  expect(response.errorCode).toBe(0);
  expect(await metadataAnswered(client)).toBe(true);
  client.close();
}

describe("refusals close the connection with Kafka's error", () => {
  test("a client that skips the handshake is closed at its first other request", async () => {
    const client = await raw();
    client.writeRaw(client.frame(ApiKey.Metadata, 12, { ...createMetadataRequest(), topics: [] }));
    await client.closed();
    await expectBrokerUnharmed();
  });

  test("ApiVersions is answered before authentication", async () => {
    const client = await raw();
    const versions = await client.request(ApiKey.ApiVersions, 0, {
      clientSoftwareName: "",
      clientSoftwareVersion: "",
      unknownTaggedFields: [],
    });
    expect(
      versions.apiKeys.some((api) => api.apiKey === ApiKey.SaslAuthenticate && api.maxVersion === 2),
    ).toBe(true);
    client.close();
  });

  test("SaslAuthenticate before SaslHandshake: ILLEGAL_SASL_STATE, closed", async () => {
    const client = await raw();
    const response = await authenticate(client, "\0admin\0admin-secret");
    expect(response.errorCode).toBe(ErrorCode.IllegalSaslState);
    await client.closed();
    await expectBrokerUnharmed();
  });

  test("a wrong password and an unknown user: SASL_AUTHENTICATION_FAILED, closed", async () => {
    for (const [user, password] of [
      ["admin", "wrong"],
      ["nobody", "admin-secret"],
    ]) {
      const { client, response } = await plainLogin(user, password);
      expect(response.errorCode).toBe(ErrorCode.SaslAuthenticationFailed);
      await client.closed();
    }
    await expectBrokerUnharmed();
  });

  test("an unknown mechanism: UNSUPPORTED_SASL_MECHANISM with the ones served, closed", async () => {
    const client = await raw();
    const response = await handshake(client, "GSSAPI");
    expect(response.errorCode).toBe(ErrorCode.UnsupportedSaslMechanism);
    expect(response.mechanisms).toEqual(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
    await client.closed();
    await expectBrokerUnharmed();
  });

  test("garbage in the exchange: SASL_AUTHENTICATION_FAILED, closed", async () => {
    for (const [mechanism, garbage] of [
      ["SCRAM-SHA-512", new Uint8Array([0xff, 0xfe, 0x00, 0x01])],
      ["SCRAM-SHA-256", new TextEncoder().encode("p=tls-unique,,n=admin,r=abc")],
      ["PLAIN", new TextEncoder().encode("no-separators")],
    ] as const) {
      const client = await raw();
      expect((await handshake(client, mechanism)).errorCode).toBe(0);
      const response = await authenticate(client, garbage);
      expect(response.errorCode).toBe(ErrorCode.SaslAuthenticationFailed);
      await client.closed();
    }
    await expectBrokerUnharmed();
    // Failures are logged, and at most a few lines a second.
    expect(server.logs()).toContain("SASL authentication failed");
  });
});

describe("SCRAM credentials in the metadata log", () => {
  test("AlterUserScramCredentials adds a user kcat then authenticates as; deleting it locks them out", async () => {
    const { client } = await plainLogin();
    const salt = new TextEncoder().encode("carol-salt");
    const saltedPassword = pbkdf2Sync("carol-pw", salt, 8192, 32, "sha256");
    const altered = await client.request(ApiKey.AlterUserScramCredentials, 0, {
      ...createAlterUserScramCredentialsRequest(),
      upsertions: [
        { name: "carol", mechanism: 1, iterations: 8192, salt, saltedPassword, unknownTaggedFields: [] },
        { name: "dave", mechanism: 1, iterations: 100, salt, saltedPassword, unknownTaggedFields: [] },
      ],
      deletions: [{ name: "nobody", mechanism: 2, unknownTaggedFields: [] }],
    });
    const byUser = Object.fromEntries(altered.results.map((result) => [result.user, result.errorCode]));
    expect(byUser).toEqual({
      carol: 0,
      dave: ErrorCode.UnacceptableCredential,
      nobody: ErrorCode.ResourceNotFound,
    });
    const described = await client.request(ApiKey.DescribeUserScramCredentials, 0, {
      ...createDescribeUserScramCredentialsRequest(),
      users: [
        { name: "carol", unknownTaggedFields: [] },
        { name: "admin", unknownTaggedFields: [] },
        { name: "dave", unknownTaggedFields: [] },
      ],
    });
    const infos = Object.fromEntries(
      described.results.map((result) => [
        result.user,
        [result.errorCode, ...result.credentialInfos.map((info) => `${info.mechanism}/${info.iterations}`)],
      ]),
    );
    expect(infos).toEqual({
      carol: [0, "1/8192"],
      admin: [0, "1/4096", "2/4096"],
      dave: [ErrorCode.ResourceNotFound],
    });
    const asCarol = await kcat(["-L", ...saslSslArgs("SCRAM-SHA-256", "carol", "carol-pw")]);
    expect(asCarol.exitCode).toBe(0);
    const deleted = await client.request(ApiKey.AlterUserScramCredentials, 0, {
      ...createAlterUserScramCredentialsRequest(),
      deletions: [{ name: "carol", mechanism: 1, unknownTaggedFields: [] }],
    });
    expect(deleted.results[0]?.errorCode).toBe(0);
    const locked = await kcat(["-L", "-m", "3", ...saslSslArgs("SCRAM-SHA-256", "carol", "carol-pw")]);
    expect(locked.exitCode).not.toBe(0);
    client.close();
  });
});

describe("connections.max.reauth.ms (KIP-368)", () => {
  test("the session lifetime is told; a client that re-authenticates keeps going, one that does not is closed", async () => {
    const stale = await plainLogin();
    const fresh = await plainLogin();
    expect(stale.response.sessionLifetimeMs).toBe(BigInt(reauthMs));
    await Bun.sleep(reauthMs / 2);
    expect((await handshake(fresh.client, "PLAIN")).errorCode).toBe(0);
    expect((await authenticate(fresh.client, "\0admin\0admin-secret")).errorCode).toBe(0);
    await Bun.sleep(reauthMs / 2 + 500);
    expect(await metadataAnswered(fresh.client)).toBe(true);
    stale.client.writeRaw(
      stale.client.frame(ApiKey.Metadata, 12, { ...createMetadataRequest(), topics: [] }),
    );
    await stale.client.closed();
    fresh.client.close();
  });

  test("re-authenticating as someone else is refused", async () => {
    const { client } = await plainLogin();
    expect((await handshake(client, "PLAIN")).errorCode).toBe(0);
    const response = await authenticate(client, "\0alice\0alice:with:colons");
    expect(response.errorCode).toBe(ErrorCode.SaslAuthenticationFailed);
    await client.closed();
  });
});
