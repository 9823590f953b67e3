// The principal of a connection that presented a client certificate, as Kafka's default principal builder
// names it: "User:" and the certificate's subject as X500Principal.getName() writes it (RFC 2253: the most
// specific attribute first, "CN=alice,OU=eng,O=Acme,C=US", with , + " \ < > ; escaped).

import type { X509Certificate } from "node:crypto";
import { anonymousPrincipal } from "./dispatcher.ts";

/** "User:<subject DN>", or User:ANONYMOUS when the peer sent no certificate. */
export function certificatePrincipal(certificate: X509Certificate | undefined): string {
  if (certificate === undefined || certificate.subject === "") return anonymousPrincipal;
  return `User:${rfc2253Name(certificate.subject)}`;
}

/**
 * Node prints a subject one attribute per line, the least specific first ("C=US\nO=Acme\nCN=alice"); RFC 2253
 * lists them the other way round, separated by commas. Values are escaped where RFC 2253 requires it.
 */
export function rfc2253Name(subject: string): string {
  return subject
    .split("\n")
    .filter((line) => line !== "")
    .reverse()
    .map((line) => {
      const equals = line.indexOf("=");
      const type = line.slice(0, equals);
      const value = line.slice(equals + 1);
      return `${type}=${escapeValue(value)}`;
    })
    .join(",");
}

function escapeValue(value: string): string {
  let escaped = value.replace(/[,+"\\<>;]/g, (char) => `\\${char}`);
  if (escaped.startsWith(" ") || escaped.startsWith("#")) escaped = `\\${escaped}`;
  if (escaped.endsWith(" ") && !escaped.endsWith("\\ ")) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}
