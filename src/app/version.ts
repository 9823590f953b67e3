import packageJson from "../../package.json" with { type: "json" };

export const chronikVersion: string = packageJson.version;
