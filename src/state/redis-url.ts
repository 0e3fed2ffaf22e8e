// Redis URLs as they may be shown: without credentials (kept apart from the client, which is loaded on demand).

/** The URL without credentials, for status and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    // ioredis also reads credentials from the query (?password=…): keep only what is not secret.
    for (const key of [...parsed.searchParams.keys()]) {
      if (key !== "prefix" && key !== "db" && key !== "family") parsed.searchParams.set(key, "***");
    }
    return parsed.toString().replace(/%2A%2A%2A/g, "***");
  } catch {
    return "redis://(unparseable url)";
  }
}
