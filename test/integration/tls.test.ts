// Proves TLS on Kafka listeners against certificates made here with openssl: kcat produces and consumes over an
// SSL listener; with --tls-client-ca a client certificate signed by that CA is required (none, or one from
// another CA, is refused at the handshake, the broker unharmed); and a renewed certificate is served to new
// connections after SIGHUP while open connections keep working.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { createApiVersionsRequest } from "../../src/protocol/messages/api-versions.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { freePorts, type ServerProcess, startServer } from "../support/server-process.ts";
import { makeTestCertificates, type TestCertificates } from "../support/tls-certificates.ts";

let certs: TestCertificates;
beforeAll(async () => {
  certs = await makeTestCertificates();
});
afterAll(() => certs?.remove());

async function kcat(
  args: string[],
  input?: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
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

async function apiVersionsAnswered(client: RawKafkaClient): Promise<boolean> {
  const response = await client.request(ApiKey.ApiVersions, 3, {
    ...createApiVersionsRequest(),
    clientSoftwareName: "tls-test",
    clientSoftwareVersion: "1",
  });
  return response.errorCode === 0 && response.apiKeys.length > 0;
}

describe("an SSL listener", () => {
  let server: ServerProcess;
  let sslPort: number;
  let certFile: string;
  let keyFile: string;

  beforeAll(async () => {
    [sslPort] = (await freePorts(1)) as [number];
    // The broker reads copies, so the test can renew them in place.
    certFile = join(certs.dir, "live-server.pem");
    keyFile = join(certs.dir, "live-server.key");
    await Bun.write(certFile, readFileSync(certs.serverCert));
    await Bun.write(keyFile, readFileSync(certs.serverKey));
    server = await startServer({
      args: ["--listeners", `SSL://127.0.0.1:${sslPort}`, "--tls-cert", certFile, "--tls-key", keyFile],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("kcat produces and consumes over TLS, trusting the test CA", async () => {
    const tls = ["-X", "security.protocol=SSL", "-X", `ssl.ca.location=${certs.caCert}`];
    const bootstrap = ["-b", `localhost:${sslPort}`];
    const produced = await kcat(["-P", ...bootstrap, ...tls, "-t", "tls-topic"], "one\ntwo\n");
    expect(produced.exitCode).toBe(0);
    const consumed = await kcat([
      "-C",
      "-e",
      "-o",
      "beginning",
      "-q",
      ...bootstrap,
      ...tls,
      "-t",
      "tls-topic",
    ]);
    expect(consumed.stdout.split("\n").filter((line) => line !== "")).toEqual(["one", "two"]);
  });

  test("a client that does not trust the broker's CA is refused by its own check, the broker unharmed", async () => {
    const failed = await kcat(["-L", "-b", `localhost:${sslPort}`, "-X", "security.protocol=SSL", "-m", "3"]);
    expect(failed.exitCode).not.toBe(0);
    const client = await RawKafkaClient.connectTls(sslPort, { ca: readFileSync(certs.caCert) });
    expect(await apiVersionsAnswered(client)).toBe(true);
    client.close();
  });

  test("a plaintext client on the SSL port gets no Kafka answer and the broker is unharmed", async () => {
    const plain = await RawKafkaClient.connect(sslPort);
    plain.writeRaw(new Uint8Array([0, 0, 0, 8, 0, 18, 0, 0, 0, 0, 0, 1]));
    await plain.closed();
    const client = await RawKafkaClient.connectTls(sslPort, { ca: readFileSync(certs.caCert) });
    expect(await apiVersionsAnswered(client)).toBe(true);
    client.close();
  });

  test("SIGHUP serves a renewed certificate to new connections; open connections keep working", async () => {
    const ca = readFileSync(certs.caCert);
    const before = await RawKafkaClient.connectTls(sslPort, { ca });
    expect((before.rawSocket as TLSSocket).getPeerCertificate().subject.CN).toBe("localhost");
    // Renewed files replace the old ones atomically, as a certificate manager writes them.
    certs.reissueServer({ cert: `${certFile}.new`, key: `${keyFile}.new`, commonName: "renewed" });
    renameSync(`${keyFile}.new`, keyFile);
    renameSync(`${certFile}.new`, certFile);
    process.kill(server.pid, "SIGHUP");
    let subject = "";
    for (let attempt = 0; attempt < 50 && subject !== "renewed"; attempt++) {
      await Bun.sleep(100);
      const after = await RawKafkaClient.connectTls(sslPort, { ca, checkServerIdentity: () => undefined });
      subject = String((after.rawSocket as TLSSocket).getPeerCertificate().subject.CN);
      expect(await apiVersionsAnswered(after)).toBe(true);
      after.close();
    }
    expect(subject).toBe("renewed");
    expect(await apiVersionsAnswered(before)).toBe(true);
    before.close();
    expect(server.logs()).toContain("tls certificate reloaded");
  });
});

describe("an SSL listener with --tls-client-ca (mutual TLS)", () => {
  let server: ServerProcess;
  let sslPort: number;

  beforeAll(async () => {
    [sslPort] = (await freePorts(1)) as [number];
    server = await startServer({
      args: [
        ...["--listeners", `SSL://127.0.0.1:${sslPort}`],
        ...["--tls-cert", certs.serverCert, "--tls-key", certs.serverKey, "--tls-client-ca", certs.caCert],
      ],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const kcatTls = (clientCert?: { cert: string; key: string }) => [
    ...["-X", "security.protocol=SSL", "-X", `ssl.ca.location=${certs.caCert}`],
    ...(clientCert === undefined
      ? []
      : ["-X", `ssl.certificate.location=${clientCert.cert}`, "-X", `ssl.key.location=${clientCert.key}`]),
  ];

  test("kcat with a client certificate the CA signed produces and consumes", async () => {
    const tls = kcatTls({ cert: certs.clientCert, key: certs.clientKey });
    const bootstrap = ["-b", `localhost:${sslPort}`];
    expect((await kcat(["-P", ...bootstrap, ...tls, "-t", "mtls"], "secret\n")).exitCode).toBe(0);
    const consumed = await kcat(["-C", "-e", "-o", "beginning", "-q", ...bootstrap, ...tls, "-t", "mtls"]);
    expect(consumed.stdout.trim()).toBe("secret");
  });

  test("no client certificate, or one from an untrusted CA, is refused; the broker is unharmed", async () => {
    const bootstrap = ["-b", `localhost:${sslPort}`, "-m", "3"];
    const none = await kcat(["-L", ...bootstrap, ...kcatTls()]);
    expect(none.exitCode).not.toBe(0);
    const untrusted = await kcat([
      "-L",
      ...bootstrap,
      ...kcatTls({ cert: certs.untrustedCert, key: certs.untrustedKey }),
    ]);
    expect(untrusted.exitCode).not.toBe(0);
    const ca = readFileSync(certs.caCert);
    const refused = await RawKafkaClient.connectTls(sslPort, {
      ca,
      cert: readFileSync(certs.untrustedCert),
      key: readFileSync(certs.untrustedKey),
    }).then(
      async (client) => {
        // TLS 1.3 completes the client's side before the server checks the certificate: the broker then closes.
        await client.closed();
        return true;
      },
      () => true,
    );
    expect(refused).toBe(true);
    const trusted = await RawKafkaClient.connectTls(sslPort, {
      ca,
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    expect(await apiVersionsAnswered(trusted)).toBe(true);
    trusted.close();
  });
});
