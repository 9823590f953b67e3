// chronik cluster status: the cluster id, its controller, and every node with its role, rack, liveness,
// reachability and version.

import { DescribeClusterResponseSchema } from "../gen/chronik/admin/v1/admin_pb.ts";
import type { Command } from "./cli-context.ts";
import { keyValues, messageJson, prettyJson, section, table } from "./output.ts";

export const clusterCommands: Command[] = [
  {
    path: ["cluster", "status"],
    summary: "show the cluster's nodes, their roles and whether they are reachable",
    positionals: [],
    flags: [],
    async run(_, { client, json, io }) {
      const cluster = await client.describeCluster({});
      if (json) {
        io.out(prettyJson(messageJson(DescribeClusterResponseSchema, cluster)));
        return 0;
      }
      const summary = keyValues([
        ["cluster-id", cluster.clusterId],
        ["controller", cluster.controllerId < 0 ? "none" : cluster.controllerId],
        ["metadata-term", cluster.metadataTerm],
        ["answered-by", cluster.answeredBy],
      ]);
      const nodes = table(
        ["id", "host", "port", "rack", "role", "fenced", "reachable", "version"],
        cluster.nodes.map((node) => [
          node.nodeId,
          node.host,
          node.port,
          node.rack || "-",
          node.role,
          node.fenced,
          node.reachable,
          node.version || "-",
        ]),
      );
      io.out(`${section("cluster", summary)}\n\n${section("nodes", nodes)}`);
      return 0;
    },
  },
];
