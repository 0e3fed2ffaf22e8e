// examples/grafana-dashboard.json: a Grafana 10 dashboard (schema 38) on a Prometheus data-source
// variable, every query on a series /metrics exports.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, startApi } from "./support/api.ts";
import { parseExposition } from "./support/exposition.ts";

interface Target {
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
}

const dashboard = JSON.parse(readFileSync("examples/grafana-dashboard.json", "utf8")) as Dashboard;
const HISTOGRAM_PARTS = /_(bucket|sum|count)$/;

let api: ApiHarness;
let families: ReadonlyMap<string, string>;
beforeAll(async () => {
  api = await startApi();
  families = parseExposition(await (await api.request("GET", "/metrics")).text()).types;
});
afterAll(() => api.close());

describe("the Grafana dashboard", () => {
  it("is a Grafana 10 dashboard with a Prometheus data-source variable", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === "row") continue;
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource.uid).toBe("${datasource}");
    }
  });

  it("queries only series /metrics exports", () => {
    const queried = new Set<string>();
    for (const p of dashboard.panels) {
      for (const t of p.targets ?? []) {
        const names = t.expr.match(/\balertpipe_[a-z0-9_]+/g) ?? [];
        expect(names.length, t.expr).toBeGreaterThan(0);
        for (const name of names) queried.add(name);
      }
    }
    const missing = [...queried].filter(
      (n) => !families.has(n) && !families.has(n.replace(HISTOGRAM_PARTS, "")),
    );
    expect(missing).toEqual([]);
    expect(queried.size).toBeGreaterThanOrEqual(20);
  });
});
