// Who holds a lease: `<name>-<pid>-<nonce>`, the name being the host (or ALERTPIPE_INSTANCE_ID), the
// pid and a random nonce telling one run of it from the next. A restarted instance recognises leases
// of its own previous run and takes them back at once instead of waiting for them to run out.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

const INSTANCE_ID = /^(.+)-(\d+)-([0-9a-f]{6})$/;
/** What ALERTPIPE_INSTANCE_ID may hold: it becomes part of lease owners and of status. */
const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

interface InstanceId {
  readonly name: string;
  readonly pid: number;
  readonly nonce: string;
}

/** This run's id; `name` is the host unless a stable instance name is configured. */
export function newInstanceId(name: string = hostname()): string {
  return `${name}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/** The configured instance name, checked: undefined when unset, an error naming the variable when bad. */
export function instanceNameFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const name = env.ALERTPIPE_INSTANCE_ID?.trim();
  if (!name) return undefined;
  if (!INSTANCE_NAME.test(name)) {
    throw new Error(
      `ALERTPIPE_INSTANCE_ID must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit (got ${JSON.stringify(name)})`,
    );
  }
  return name;
}

function parse(id: string): InstanceId | undefined {
  const match = INSTANCE_ID.exec(id);
  return match ? { name: match[1] as string, pid: Number(match[2]), nonce: match[3] as string } : undefined;
}

/**
 * Whether `other` is an earlier run of `self`, now dead: the same name, and either a configured name
 * (one running instance per name, by contract) or this host with a pid that is ours (so the earlier
 * one is gone) or no longer running.
 */
export function isPreviousRun(other: string, self: string): boolean {
  const them = parse(other);
  const us = parse(self);
  if (!them || !us || them.name !== us.name || them.nonce === us.nonce) return false;
  if (us.name !== hostname()) return true;
  return them.pid === us.pid || !processRuns(them.pid);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
