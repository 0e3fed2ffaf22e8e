// /api/v2/alerts (GET the firing alerts, POST alerts into the pipeline), /api/v2/alerts/groups.
import { postedAlertProblem } from "./alert-intake.ts";
import { alertFilter, gettableAlerts } from "./alert-view.ts";
import type { ApiContext } from "./context.ts";
import { refusal } from "./errors.ts";
import type { Route } from "./router.ts";
import { postableAlertsSchema } from "./schemas.ts";

export function alertRoutes(ctx: ApiContext): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v2/alerts",
      handle: async (req) => {
        const keep = alertFilter(req.query);
        return { status: 200, body: (await gettableAlerts(ctx)).filter(keep) };
      },
    },
    {
      method: "GET",
      path: "/api/v2/alerts/groups",
      handle: async (req) => {
        const keep = alertFilter(req.query);
        // No routing tree: one group per receiver and alertname.
        const groups = new Map<
          string,
          { labels: Record<string, string>; receiver: { name: string }; alerts: unknown[] }
        >();
        for (const alert of (await gettableAlerts(ctx)).filter(keep)) {
          for (const receiver of alert.receivers) {
            const alertname = alert.labels.alertname ?? "";
            const key = `${receiver.name}\u001f${alertname}`;
            const group = groups.get(key) ?? { labels: { alertname }, receiver, alerts: [] };
            group.alerts.push(alert);
            groups.set(key, group);
          }
        }
        return { status: 200, body: [...groups.values()] };
      },
    },
    {
      method: "POST",
      path: "/api/v2/alerts",
      handle: async (req) => {
        const posted = await req.json(postableAlertsSchema, "alerts");
        const problems: string[] = [];
        const valid = posted.filter((alert, i) => {
          const problem = postedAlertProblem(alert);
          if (problem) problems.push(`alerts.${i}: ${problem}`);
          return problem === undefined;
        });
        // As Alertmanager: the valid ones are taken, the invalid ones named in a 400.
        await ctx.intake.receive(valid);
        if (problems.length > 0) throw refusal(400, problems.join("; "));
        return { status: 200 };
      },
    },
  ];
}
