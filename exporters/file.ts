// File exporter: every item it accepts appended as one JSON line, for debugging pipelines, audits and
// end-to-end tests (what did the rules see, what did they send).
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { ComponentConfigError, defineFactory, type Exporter } from "../src/component.ts";
import type { Item } from "../src/signal.ts";

const ITEM_KINDS = ["metric", "span", "log", "alert", "digest", "error"] as const;

const configSchema = z
  .strictObject({
    path: z.string({ error: "expected a file path" }).min(1, "expected a file path").meta({
      description:
        "File every item is appended to as one JSON line; relative to the pipeline.yaml's directory, created with its directories. Required.",
    }),
    kinds: z
      .array(z.enum(ITEM_KINDS))
      .min(1)
      .default([...ITEM_KINDS])
      .meta({
        description: "Item kinds written: metric, span, log, alert, digest, error (default: all of them).",
      }),
  })
  .meta({
    description:
      "Appends items as JSON lines to a file: for audits, debugging pipelines and end-to-end tests.",
  });

export const fileExporterFactory = defineFactory({
  kind: "exporter",
  type: "file",
  configSchema,
  create(config, context): Exporter {
    const path = resolve(context.configDir, config.path);
    // Appends with a synchronous fd: each batch lands whole and in order, even at process exit.
    let fd: number | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, "a");
    } catch (err) {
      throw new ComponentConfigError(["path"], `cannot append to ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let written = 0;
    let failures = 0;
    return {
      configured: true,
      accepts: new Set<Item["kind"]>(config.kinds),
      async export(batch) {
        if (fd === undefined) throw new Error(`file exporter ${context.id} is shut down`);
        const text = batch.map((item) => `${JSON.stringify(item)}\n`).join("");
        try {
          writeSync(fd, text);
          written += batch.length;
        } catch (err) {
          failures++;
          throw err;
        }
      },
      async shutdown() {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
      status: () => ({ path, written, failures }),
    };
  },
});
