// A custom exporter: appends each alert as one JSON line to a file.
// Name it in pipeline.yaml:  exporters: { custom/lines: { module: ./examples/file-lines-exporter.js, path: alerts.jsonl } }
import { appendFile } from "node:fs/promises";
import { resolve } from "node:path";
import { z } from "zod";

export default {
  kind: "exporter",
  type: "file-lines",
  configSchema: z.strictObject({ path: z.string().min(1) }),
  create(config, context) {
    const path = resolve(context.configDir, config.path);
    let written = 0;
    return {
      configured: true,
      accepts: new Set(["alert", "digest"]),
      async export(batch) {
        await appendFile(path, batch.map((item) => `${JSON.stringify(item)}\n`).join(""));
        written += batch.length;
      },
      async shutdown() {},
      status: () => ({ written }),
    };
  },
};
