// /healthz (alive) and /status (the guide's status document), as the status endpoint always served.
import type { ApiContext } from "./context.ts";
import type { Route } from "./router.ts";

export function healthRoutes(ctx: ApiContext): Route[] {
  return [
    { method: "GET", path: "/healthz", handle: () => ({ status: 200, body: { status: "ok" } }) },
    {
      method: "GET",
      path: "/status",
      handle: () => ({ status: 200, body: { ...ctx.status(), posted_alerts: ctx.intake.status() } }),
    },
  ];
}
