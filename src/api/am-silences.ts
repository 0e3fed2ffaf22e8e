// /api/v2/silences (list, create or update) and /api/v2/silence/{id} (get, expire).
import { matchesAll, parseMatchers } from "../silences/matchers.ts";
import { describeMatchers, equalityLabels, SilenceError, sortSilences } from "../silences/silence.ts";
import { gettableSilence } from "./am-shapes.ts";
import type { ApiContext } from "./context.ts";
import type { Route } from "./router.ts";
import { postableSilenceSchema } from "./schemas.ts";

export function silenceRoutes(ctx: ApiContext): Route[] {
  const now = () => ctx.scheduler.now();
  const found = async (id: string) => {
    const s = await ctx.silences.get(id, now());
    if (!s) throw new SilenceError(404, `silence ${id} not found`);
    return s;
  };
  return [
    {
      method: "GET",
      path: "/api/v2/silences",
      handle: async (req) => {
        const filter = parseMatchers(req.query.getAll("filter"));
        const t = now();
        const list = (await ctx.silences.list(t)).filter((s) => matchesAll(filter, equalityLabels(s)));
        return { status: 200, body: sortSilences(list, t).map((s) => gettableSilence(s, t)) };
      },
    },
    {
      method: "POST",
      path: "/api/v2/silences",
      handle: async (req) => {
        const body = await req.json(postableSilenceSchema, "silence");
        const saved = await ctx.silences.set(
          {
            ...(body.id ? { id: body.id } : {}),
            matchers: body.matchers,
            startsAt: Date.parse(body.startsAt),
            endsAt: Date.parse(body.endsAt),
            createdBy: body.createdBy,
            comment: body.comment,
          },
          now(),
        );
        ctx.logger.info(
          {
            silence: saved.id,
            matchers: describeMatchers(saved),
            createdBy: saved.createdBy,
            endsAt: new Date(saved.endsAt).toISOString(),
          },
          body.id && body.id === saved.id ? "silence updated" : "silence added",
        );
        return { status: 200, body: { silenceID: saved.id } };
      },
    },
    {
      method: "GET",
      path: "/api/v2/silence/:id",
      handle: async (req) => ({
        status: 200,
        body: gettableSilence(await found(req.params.id as string), now()),
      }),
    },
    {
      method: "DELETE",
      path: "/api/v2/silence/:id",
      handle: async (req) => {
        const expired = await ctx.silences.expire((await found(req.params.id as string)).id, now());
        ctx.logger.info({ silence: expired.id }, "silence expired");
        return { status: 200 };
      },
    },
  ];
}
