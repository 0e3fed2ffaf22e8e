// /api/v2/status (what amtool reads first: cluster, versionInfo, config.original, uptime) and
// /api/v2/receivers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageVersion } from "../package-files.ts";
import { redactSecrets } from "../secrets.ts";
import { receiverNames } from "./alert-view.ts";
import type { ApiContext } from "./context.ts";
import type { Route } from "./router.ts";

/** The pipeline.yaml as written (${env:} references unresolved), secrets masked; merged ones each. */
function originalConfig(ctx: ApiContext): string {
  const { file, configDir, sources = [] } = ctx.config;
  if (file === "<inline>") return "# inline configuration: not read from a file\n";
  if (sources.length > 1) {
    // --config files in merge order, then the --set keys (their values stay on the command line).
    const parts = sources.map((s) =>
      s.label.startsWith("--set") ? `# ${s.label}=…\n` : `# ${s.label}\n${s.text}`,
    );
    return redactSecrets(parts.join("\n"));
  }
  const [only] = sources;
  if (only) return redactSecrets(only.text);
  try {
    return redactSecrets(readFileSync(join(configDir, file), "utf8"));
  } catch (err) {
    return `# ${file}: ${(err as Error).message}\n`;
  }
}

export function statusRoutes(ctx: ApiContext): Route[] {
  const version = packageVersion();
  return [
    {
      method: "GET",
      path: "/api/v2/status",
      handle: () => ({
        status: 200,
        body: {
          cluster: { name: ctx.state.status().instance_id, status: "disabled", peers: [] },
          versionInfo: {
            version,
            revision: "alertpipe",
            branch: "",
            buildUser: "",
            buildDate: "",
            goVersion: `node ${process.version}`,
          },
          config: { original: originalConfig(ctx) },
          uptime: new Date(ctx.startedAt).toISOString(),
        },
      }),
    },
    {
      method: "GET",
      path: "/api/v2/receivers",
      handle: () => ({ status: 200, body: receiverNames(ctx.graph).map((name) => ({ name })) }),
    },
  ];
}
