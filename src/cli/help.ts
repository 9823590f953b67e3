// The --help text, derived from the option table so it can never disagree with the parser.

import { type OptionName, type OptionSpec, optionSpecs } from "./options.ts";

function describe(spec: OptionSpec<unknown>): string {
  const flag = spec.isSwitch ? `--${spec.flag}` : `--${spec.flag} <value>`;
  const fallback = spec.defaultText === "" ? "" : ` [default: ${spec.defaultText}]`;
  return `  ${flag.padEnd(36)} ${spec.help}${fallback}\n  ${"".padEnd(36)} env ${spec.env}; ${spec.allowed}`;
}

export function helpText(): string {
  const specs = (Object.keys(optionSpecs) as OptionName[]).map(
    (name) => optionSpecs[name] as OptionSpec<unknown>,
  );
  const global = specs.filter((spec) => spec.scope === "global").map(describe);
  const raft = specs.filter((spec) => spec.scope === "raft-cluster").map(describe);
  return [
    "chronik-server: a Kafka-compatible streaming broker, replicated with Raft",
    "",
    "Usage:",
    "  chronik-server [options] standalone",
    '  chronik-server [options] raft-cluster --raft-addr 0.0.0.0:9192 --peers "2@host2:9292,3@host3:9392" [--bootstrap]',
    "",
    "Options (each also from its environment variable; a flag wins over the environment):",
    ...global,
    "",
    "raft-cluster options:",
    ...raft,
    "",
    "  --help                               print this text",
    "  --version                            print the version",
  ].join("\n");
}
