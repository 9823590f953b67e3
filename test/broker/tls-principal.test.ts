// Proves a connection that presents a trusted client certificate carries Kafka's default principal for it,
// "User:" and the subject in RFC 2253 order ("User:CN=alice,OU=eng,O=Acme,C=US"), before its first request;
// a TLS connection without client certificates stays User:ANONYMOUS.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { systemClock, systemScheduler } from "../../src/app/system-time.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { closeConnection, type Dispatcher } from "../../src/broker/dispatcher.ts";
import { startListener } from "../../src/broker/listener.ts";
import { rfc2253Name } from "../../src/broker/tls-principal.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { freePort } from "../support/server-process.ts";
import { makeTestCertificates, type TestCertificates } from "../support/tls-certificates.ts";

let certs: TestCertificates;
beforeAll(async () => {
  certs = await makeTestCertificates();
});
afterAll(() => certs?.remove());

async function principalSeen(tls: Bun.TLSOptions, client: { cert?: Buffer; key?: Buffer }): Promise<string> {
  const port = await freePort();
  const principals: string[] = [];
  const dispatcher: Dispatcher = {
    handle(request) {
      principals.push(request.connection.principal);
      return closeConnection("seen");
    },
  };
  const listener = startListener({
    listenerName: "SSL",
    tls,
    hostname: "127.0.0.1",
    port,
    dispatcher,
    logger: silentLogger,
    clock: systemClock,
    scheduler: systemScheduler,
    onBug: (error) => {
      throw error;
    },
  });
  try {
    const connection = await RawKafkaClient.connectTls(port, { ca: readFileSync(certs.caCert), ...client });
    connection.writeRaw(new Uint8Array([0, 0, 0, 8, 0, 18, 0, 0, 0, 0, 0, 1]));
    await connection.closed();
    return principals[0] ?? "none";
  } finally {
    await listener.stop({ drainMs: 0 });
  }
}

test("a trusted client certificate names the principal by its subject, most specific first", async () => {
  const tls = {
    cert: readFileSync(certs.serverCert, "utf8"),
    key: readFileSync(certs.serverKey, "utf8"),
    ca: readFileSync(certs.caCert, "utf8"),
    requestCert: true,
    rejectUnauthorized: true,
  };
  const client = { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
  expect(await principalSeen(tls, client)).toBe("User:CN=alice,OU=eng,O=Acme,C=US");
});

test("TLS without client certificates leaves the connection anonymous", async () => {
  const tls = { cert: readFileSync(certs.serverCert, "utf8"), key: readFileSync(certs.serverKey, "utf8") };
  expect(await principalSeen(tls, {})).toBe("User:ANONYMOUS");
});

test("RFC 2253 escapes what it must", () => {
  expect(rfc2253Name("O=Acme, Inc.\nCN=a+b")).toBe("CN=a\\+b,O=Acme\\, Inc.");
});
