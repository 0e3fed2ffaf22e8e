// `alertpipe silence add|list|expire`: a thin client of the collector's Alertmanager API.
import { userInfo } from "node:os";
import { parseDuration } from "../config/duration.ts";
import { matcherText, parseMatcher, parseMatchers } from "../silences/matchers.ts";
import { type ApiClient, ApiClientError, parseClientArgs, shortTime, table } from "./api-client.ts";
import { usageError } from "./args.ts";
import { helpText } from "./catalog.ts";

interface Gettable {
  id: string;
  status: { state: string };
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** A Prometheus duration (90s, 30m, 1h30m, 2d, 1w) for --duration, in ms. */
export function durationArg(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new ApiClientError(`not a duration: ${JSON.stringify(text)} (e.g. 90s, 30m, 1h30m, 2d)`);
  return ms;
}

function timeArg(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new ApiClientError(`--${flag} expects an RFC 3339 time, got ${JSON.stringify(text)}`);
  return ms;
}

async function add(client: ApiClient, args: string[], values: Record<string, unknown>): Promise<string> {
  const texts = [...args];
  // As amtool: a first argument that is no matcher names the alert.
  if (texts[0] !== undefined && !/[=~]/.test(texts[0])) texts[0] = `alertname=${JSON.stringify(texts[0])}`;
  const matchers = texts.map(parseMatcher);
  if (matchers.length === 0) throw new ApiClientError("no matchers given (e.g. alertname=system_health)");
  const comment = String(values.comment ?? "");
  if (!comment) throw new ApiClientError("--comment is required: say why the alerts are silenced");
  const startsAt = values.start ? timeArg(String(values.start), "start") : Date.now();
  const endsAt = values.end
    ? timeArg(String(values.end), "end")
    : startsAt + durationArg(String(values.duration ?? "1h"));
  const author = String(values.author ?? userInfo().username);
  const { silenceID } = await client.post<{ silenceID: string }>("/api/v2/silences", {
    matchers,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    createdBy: author,
    comment,
  });
  return silenceID;
}

async function list(client: ApiClient, args: string[], values: Record<string, unknown>): Promise<string> {
  const filter = parseMatchers(args)
    .map((m) => `filter=${encodeURIComponent(matcherText(m))}`)
    .join("&");
  const all = await client.get<Gettable[]>(`/api/v2/silences${filter ? `?${filter}` : ""}`);
  const shown = all.filter((s) => (s.status.state === "expired") === (values.expired === true));
  if (values.json) return JSON.stringify(shown, null, 2);
  if (values.quiet) return shown.map((s) => s.id).join("\n");
  const rows = shown.map((s) => [
    s.id,
    s.matchers.map((m) => matcherText(m)).join(" "),
    s.status.state,
    shortTime(s.endsAt),
    s.createdBy,
    s.comment,
  ]);
  return table(["ID", "Matchers", "State", "Ends At", "Created By", "Comment"], rows);
}

export async function silenceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "-h" || sub === "--help") {
    process.stdout.write(`${helpText("silence")}\n`);
    return 0;
  }
  if (!sub || !["add", "list", "query", "expire"].includes(sub))
    return usageError(
      "silence",
      sub ? `unknown subcommand "${sub}" (add, list, expire)` : "add, list or expire?",
    ).code;
  const parsed = await parseClientArgs("silence", rest, {
    duration: { type: "string", short: "d" },
    start: { type: "string" },
    end: { type: "string" },
    comment: { type: "string", short: "c" },
    author: { type: "string", short: "a" },
    expired: { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  });
  if ("code" in parsed) return parsed.code;
  const { values, positionals, client } = parsed;
  try {
    let out: string;
    if (sub === "add") out = await add(client, positionals, values);
    else if (sub === "expire") {
      if (positionals.length === 0) throw new ApiClientError("give the id(s) of the silence(s) to expire");
      for (const id of positionals) await client.delete(`/api/v2/silence/${encodeURIComponent(id)}`);
      out = positionals.map((id) => `expired ${id}`).join("\n");
    } else out = await list(client, positionals, values);
    if (out) process.stdout.write(`${out}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`alertpipe silence ${sub}: ${(error as Error).message}\n`);
    return error instanceof ApiClientError || (error as Error).name === "MatcherSyntaxError" ? 1 : 2;
  }
}

/** The CLI's entry (src/cli-main.ts SUBCOMMANDS). */
export const main = silenceCommand;
