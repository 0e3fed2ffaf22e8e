// Wall-clock time in the rule's time zone: traffic follows local days (and their DST shifts), so
// time-of-day slots are local. The zone's offset is looked up once per quarter hour (every real
// transition falls on one) instead of once per reading.
const QUARTER_HOUR_MS = 900_000;
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
/** 1970-01-01 was a Thursday: shifting by 3 days makes local week 0 start on a Monday. */
export const MONDAY_SHIFT_MS = 3 * 86_400_000;

/** Whether `zone` is an IANA time zone this runtime knows ("UTC", "Europe/Berlin"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export class LocalClock {
  readonly timeZone: string;
  readonly #format: Intl.DateTimeFormat | undefined;
  #bucket = Number.NaN;
  #offset = 0;

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.#format =
      timeZone === "UTC"
        ? undefined
        : new Intl.DateTimeFormat("en-US", {
            timeZone,
            hourCycle: "h23",
            year: "numeric",
            month: "numeric",
            day: "numeric",
            hour: "numeric",
            minute: "numeric",
            second: "numeric",
          });
  }

  /** Local wall-clock time as if it were UTC, ms (UTC ms + the zone's offset then). */
  local(utcMs: number): number {
    if (!this.#format) return utcMs;
    const bucket = Math.floor(utcMs / QUARTER_HOUR_MS);
    if (bucket !== this.#bucket) {
      this.#bucket = bucket;
      this.#offset = this.#offsetAt(bucket * QUARTER_HOUR_MS);
    }
    return utcMs + this.#offset;
  }

  #offsetAt(utcMs: number): number {
    const parts: Record<string, number> = {};
    for (const p of (this.#format as Intl.DateTimeFormat).formatToParts(new Date(utcMs))) {
      if (p.type !== "literal") parts[p.type] = Number(p.value);
    }
    const wall = Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
    return wall - Math.floor(utcMs / 1000) * 1000;
  }

  /** "14:05 UTC", or with the weekday for weekly seasons ("Tue 14:05 Europe/Berlin"). */
  timeOfDay(localMs: number, weekly: boolean): string {
    const d = new Date(localMs);
    const hhmm = `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
    const day = weekly ? `${WEEKDAYS[(d.getUTCDay() + 6) % 7]} ` : "";
    return `${day}${hhmm} ${this.timeZone}`;
  }
}
