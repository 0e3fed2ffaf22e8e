// Opening the SQLite state file safely: the path is checked before SQLite sees it (Node's recursive
// mkdir spins forever under /proc), open errors name the file, and a file whose pages fail SQLite's
// quick_check is refused at start rather than trusted.
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { DatabaseSync } from "node:sqlite";

/** The state file cannot be used: the message names the path and what is wrong. */
export class StateFileError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`state file ${path}: ${problem}`);
    this.name = "StateFileError";
    this.path = path;
  }
}

/** The file must be a regular file or not exist yet, in a directory we can create and write to. */
export function prepareStatePath(path: string): void {
  if (path === ":memory:") return;
  const existing = statOrUndefined(path);
  if (existing && !existing.isFile()) throw new StateFileError(path, "exists and is not a regular file");
  const dir = dirname(path);
  // Create missing directories one level at a time, so a failure is reported instead of retried.
  const missing: string[] = [];
  let at = dir;
  let stat = statOrUndefined(at);
  while (!stat) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
    stat = statOrUndefined(at);
  }
  if (stat && !stat.isDirectory()) throw new StateFileError(path, `${at} is not a directory`);
  for (const component of missing) {
    try {
      mkdirSync(component);
    } catch (error) {
      throw new StateFileError(path, `cannot create directory ${component} (${errorCode(error)})`);
    }
  }
  try {
    accessSync(dir, constants.W_OK);
    if (existing) accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new StateFileError(path, `not writable (${errorCode(error)})`);
  }
}

/** PRAGMA quick_check: every page readable and well formed; throws naming the file otherwise. */
export function checkIntegrity(db: DatabaseSync, path: string): void {
  let problems: string[];
  try {
    problems = db
      .prepare("PRAGMA quick_check(5)")
      .all()
      .map((row) => String(Object.values(row)[0]).replace(/\s+/g, " "));
  } catch (error) {
    problems = [describeSqliteError(error)];
  }
  if (problems.length === 1 && problems[0] === "ok") return;
  throw new StateFileError(
    path,
    `is corrupt (${problems.join("; ")}): restore it from a backup or move it aside to start afresh`,
  );
}

/** SQLite's primary result codes that mean the store cannot keep what it is given. */
const STORAGE_CODES: Readonly<Record<number, string>> = {
  3: "SQLITE_PERM",
  5: "SQLITE_BUSY",
  8: "SQLITE_READONLY",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  26: "SQLITE_NOTADB",
};

/** The SQLite code name of a storage failure (disk full, I/O error, read-only, corrupt…), if it is one. */
export function storageErrorCode(error: unknown): string | undefined {
  const errcode = (error as { errcode?: unknown } | undefined)?.errcode;
  return typeof errcode === "number" ? STORAGE_CODES[errcode & 0xff] : undefined;
}

/** `SQLITE_FULL (13): database or disk is full`, or the message of any other error. */
export function describeSqliteError(error: unknown): string {
  const code = storageErrorCode(error);
  const errcode = (error as { errcode?: unknown }).errcode;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code} (${String(errcode)}): ${message}` : message;
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
