// Replay feeds captured log requests like the live receiver does: a logged exception is an error
// notice at its own time, and the records are counted.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { noticeJson, summaryText } from "../src/replay/report.ts";
import { replay } from "../src/replay/run.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../src/service.ts";

const T = Date.UTC(2026, 0, 5, 12, 0, 0);
const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });

describe("replay of captured logs", () => {
  it("turns a logged exception into an error notice and counts the records", async () => {
    const logs = {
      resourceLogs: [
        {
          resource: { attributes: [kv("service.name", "roaster-scraper")] },
          scopeLogs: [
            {
              scope: { name: "winston" },
              logRecords: [
                {
                  timeUnixNano: `${T}000000`,
                  severityNumber: 17,
                  body: { stringValue: "parse failed" },
                  attributes: [
                    kv("pipeline.component", "normalizer"),
                    kv("pipeline.operation", "parse_artifact"),
                    kv("exception.type", "TypeError"),
                    kv("exception.message", "price is not a number"),
                  ],
                },
                { timeUnixNano: `${T + 1000}000000`, severityNumber: 9, body: { stringValue: "ok" } },
              ],
            },
          ],
        },
      ],
    };
    const dir = await mkdtemp(join(tmpdir(), "alertpipe-replay-logs-"));
    const file = join(dir, "logs.jsonl");
    await writeFile(file, `${JSON.stringify(logs)}\n`);
    const config = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env: {} });
    const result = await replay({ files: [file], config, env: {} });
    expect(result.stats).toMatchObject({ logRequests: 1, logRecords: 2, rejected: 0 });
    expect(result.notices.map((n) => noticeJson(n))).toMatchObject([
      {
        // When the request arrived: its newest record, as the live receiver got it.
        time: new Date(T + 1000).toISOString(),
        status: "error",
        labels: { component: "normalizer", operation: "parse_artifact" },
      },
    ]);
    expect(summaryText(result).split("\n")[0]).toContain(
      "replayed 1 request(s) (0 points, 0 spans, 2 log records)",
    );
  });
});
