// /ui/: the web view a person keeps open during an incident, server-rendered from the running
// collector, with its script (ui/app.js) and stylesheet (ui/style.css, inlined). No external
// resource; a strict Content-Security-Policy: scripts only from here, the stylesheet by its hash.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { packageFile } from "../package-files.ts";
import type { ApiContext } from "./context.ts";
import type { Route } from "./router.ts";
import { uiModel } from "./ui/model.ts";
import { renderPage } from "./ui/render.ts";

const REFRESH_SECONDS = 10;

export function webViewRoutes(ctx: ApiContext): Route[] {
  const css = readFileSync(packageFile("ui/style.css"), "utf8");
  const script = readFileSync(packageFile("ui/app.js"), "utf8");
  const styleHash = createHash("sha256").update(css, "utf8").digest("base64");
  const headers = {
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      `style-src 'sha256-${styleHash}'`,
      "connect-src 'self'",
      "img-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  };
  return [
    {
      method: "GET",
      path: "/ui",
      handle: async (req) => {
        // Relative links (app.js, ../api/v2/…) need the trailing slash.
        if (!req.path.endsWith("/")) return { status: 308, headers: { location: "/ui/" }, text: "" };
        const page = renderPage(await uiModel(ctx), { css, refreshSeconds: REFRESH_SECONDS });
        return { status: 200, text: page, contentType: "text/html; charset=utf-8", headers };
      },
    },
    {
      method: "GET",
      path: "/ui/app.js",
      handle: () => ({ status: 200, text: script, contentType: "text/javascript; charset=utf-8", headers }),
    },
  ];
}
