// A small router for the operating API: routes by method and path pattern (`/api/v2/silence/:id`),
// one file per resource contributes its routes (see index.ts).
import type { IncomingHttpHeaders } from "node:http";
import type { z } from "zod";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** `:name` segments of the route's path. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The body as JSON, validated by `schema`; an ApiError (400, 413, 415) otherwise. */
  json<T>(schema: z.ZodType<T>, what?: string): Promise<T>;
}

export interface ApiReply {
  readonly status: number;
  /** Sent as JSON (unless `text` is given). */
  readonly body?: unknown;
  /** Sent as is, with `contentType` (metrics exposition, HTML). */
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: Method;
  /** Literal segments and `:name` parameters. */
  readonly path: string;
  handle(request: ApiRequest): ApiReply | Promise<ApiReply>;
}

interface Compiled {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
}

export type RouteMatch =
  | { readonly route: Route; readonly params: Record<string, string> }
  | { readonly allow: readonly string[] };

export class Router {
  readonly #routes: Compiled[] = [];

  constructor(routes: readonly Route[] = []) {
    for (const r of routes) this.add(r);
  }

  add(route: Route): void {
    const keys: string[] = [];
    const source = route.path
      .split("/")
      .map((segment) => {
        if (!segment.startsWith(":")) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        keys.push(segment.slice(1));
        return "([^/]+)";
      })
      .join("/");
    this.#routes.push({ route, pattern: new RegExp(`^${source}/?$`), keys });
  }

  /** Paths served, for the 404 answer. */
  paths(): string[] {
    return [...new Set(this.#routes.map((r) => r.route.path))];
  }

  /** The route for method and path; or the methods the path allows (405); or undefined (404). */
  match(method: string, path: string): RouteMatch | undefined {
    const allow = new Set<string>();
    const wanted = method === "HEAD" ? "GET" : method;
    for (const { route, pattern, keys } of this.#routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      if (route.method !== wanted) {
        allow.add(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1] as string);
      });
      return { route, params };
    }
    return allow.size > 0 ? { allow: [...allow] } : undefined;
  }
}
