// How chronik prints: aligned tables with upper-case headers and titled sections (as rpk does) for people, and
// the admin API's own JSON (every field, zeros included) for scripts. Pure: it returns text.

import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";

export type Cell = string | number | bigint | boolean;

function cellText(cell: Cell): string {
  if (typeof cell === "boolean") return cell ? "yes" : "no";
  return String(cell);
}

/** Columns separated by two spaces, each as wide as its widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const texts = [headers.map((header) => header.toUpperCase()), ...rows.map((row) => row.map(cellText))];
  const widths = headers.map((_, column) => Math.max(...texts.map((row) => (row[column] ?? "").length)));
  return texts
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A titled block: TITLE, a rule under it, the body. */
export function section(title: string, body: string): string {
  return `${title.toUpperCase()}\n${"=".repeat(title.length)}\n${body}`;
}

/** Name-value lines, the names aligned. */
export function keyValues(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  const width = Math.max(...pairs.map(([name]) => name.length));
  return pairs.map(([name, value]) => `${name.padEnd(width)}  ${cellText(value)}`).join("\n");
}

/** A message as the admin API's JSON, with every field. */
export function messageJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): unknown {
  return toJson(schema, message, { alwaysEmitImplicit: true });
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** "-" for the API's "unknown" values (-1), so a table does not show them as numbers. */
export function orDash(value: number | bigint, unknownBelow: number | bigint = 0): string {
  return value < unknownBelow ? "-" : String(value);
}
