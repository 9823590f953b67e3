// Certificates for TLS tests, made with openssl in a temporary directory: a CA, a server certificate for
// localhost and 127.0.0.1 signed by it, client certificates signed by it, and a second CA nobody trusts.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Signed by the CA: subject /C=US/O=Acme/OU=eng/CN=alice. */
  clientCert: string;
  clientKey: string;
  /** Signed by a CA the broker does not trust: subject /CN=mallory. */
  untrustedCert: string;
  untrustedKey: string;
  /** Signs a new server certificate (for reload tests) into the given files, with the given CN. */
  reissueServer(options: { cert: string; key: string; commonName: string }): void;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr.toString()}`);
}

function makeCa(dir: string, name: string, subject: string): void {
  openssl(
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject],
      ...["-keyout", `${name}.key`, "-out", `${name}.pem`],
    ],
    dir,
  );
}

function signed(
  dir: string,
  options: {
    ca: string;
    name: string;
    subject: string;
    extensions?: string;
    keyFile?: string;
    certFile?: string;
  },
): void {
  const key = options.keyFile ?? `${options.name}.key`;
  const cert = options.certFile ?? `${options.name}.pem`;
  openssl(
    [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      options.subject,
      "-keyout",
      key,
      "-out",
      `${options.name}.csr`,
    ],
    dir,
  );
  const extensionArgs: string[] = [];
  if (options.extensions !== undefined) {
    writeFileSync(join(dir, `${options.name}.ext`), options.extensions);
    extensionArgs.push("-extfile", `${options.name}.ext`);
  }
  openssl(
    [
      ...[
        "x509",
        "-req",
        "-in",
        `${options.name}.csr`,
        "-CA",
        `${options.ca}.pem`,
        "-CAkey",
        `${options.ca}.key`,
      ],
      ...["-CAcreateserial", "-days", "2", "-out", cert, ...extensionArgs],
    ],
    dir,
  );
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), "chronik-tls-"));
  makeCa(dir, "ca", "/CN=Chronik Test CA");
  makeCa(dir, "other-ca", "/CN=Untrusted CA");
  const serverExtensions = "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  signed(dir, { ca: "ca", name: "server", subject: "/CN=localhost", extensions: serverExtensions });
  signed(dir, { ca: "ca", name: "client", subject: "/C=US/O=Acme/OU=eng/CN=alice" });
  signed(dir, { ca: "other-ca", name: "untrusted", subject: "/CN=mallory" });
  return {
    dir,
    caCert: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
    untrustedCert: join(dir, "untrusted.pem"),
    untrustedKey: join(dir, "untrusted.key"),
    reissueServer({ cert, key, commonName }) {
      signed(dir, {
        ca: "ca",
        name: `server-${commonName}`,
        subject: `/CN=${commonName}`,
        extensions: serverExtensions,
        keyFile: key,
        certFile: cert,
      });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
