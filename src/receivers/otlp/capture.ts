// The otlp receiver's `capture`: every accepted request appended to a file as one OTLP JSON line,
// the OpenTelemetry Collector file exporter's format (protobuf requests converted to the same JSON),
// so `alertpipe replay` reads alertpipe's captures and a user's own otelcol files alike.
// Rotation as the Collector's (lumberjack): past `max_megabytes` the file is renamed with the time
// before its extension (capture-2025-01-01T10-00-00.000.jsonl), a new one started, and backups
// beyond `max_backups` deleted, oldest first.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";

export const captureConfigSchema = z
  .strictObject({
    path: z.string({ error: "expected a file path" }).min(1, "expected a file path").meta({
      description:
        "File to append to, relative to the pipeline.yaml's directory; created with its directories.",
    }),
    max_megabytes: z.number().positive().default(100).meta({
      description: "Size in MiB past which the file is rotated (renamed with the time, a new one started).",
    }),
    max_backups: z.number().int().min(0).default(100).meta({
      description:
        "Rotated files kept, oldest deleted first; 0 keeps none, so the capture never exceeds max_megabytes.",
    }),
  })
  .meta({
    description:
      "Off unless given: every accepted request appended as one OTLP JSON line (the Collector file exporter's format), for `alertpipe replay`. Captures may contain personal data.",
  });
export type CaptureConfig = z.output<typeof captureConfigSchema>;

export interface CaptureStatus {
  readonly capture_path: string;
  readonly captured_requests: number;
  readonly capture_rotations: number;
  readonly capture_failures: number;
}

const BACKUP_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}(-\d+)?$/;

export class CaptureWriter {
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly maxBackups: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private fd: number | undefined;
  private size = 0;
  private captured = 0;
  private rotations = 0;
  private failures = 0;

  constructor(config: CaptureConfig, options: { configDir: string; now: () => number; logger: Logger }) {
    this.path = resolve(options.configDir, config.path);
    this.maxBytes = Math.floor(config.max_megabytes * 1024 * 1024);
    this.maxBackups = config.max_backups;
    this.now = options.now;
    this.logger = options.logger;
  }

  /** Open (append) now, so a bad path fails at start rather than at the first request. */
  open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, "a");
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Appends one request. A synchronous write keeps lines whole and in arrival order (what replay
   * relies on); a failing disk is counted and logged, never a reason to refuse telemetry.
   */
  write(request: unknown): void {
    if (this.fd === undefined) return;
    const line = `${JSON.stringify(request)}\n`;
    const bytes = Buffer.byteLength(line);
    try {
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      writeSync(this.fd, line);
      this.size += bytes;
      this.captured++;
    } catch (err) {
      if (this.failures++ === 0) this.logger.error({ err, path: this.path }, "otlp capture: cannot write");
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  status(): CaptureStatus {
    return {
      capture_path: this.path,
      captured_requests: this.captured,
      capture_rotations: this.rotations,
      capture_failures: this.failures,
    };
  }

  private rotate(): void {
    this.close();
    try {
      renameSync(this.path, this.backupPath());
      this.rotations++;
      this.prune();
    } finally {
      this.open();
    }
  }

  /** `dir/name-2025-01-01T10-00-00.000.ext` (UTC), with a counter if that name is taken. */
  private backupPath(): string {
    const ext = extname(this.path);
    const stem = this.path.slice(0, this.path.length - ext.length);
    const stamp = new Date(this.now()).toISOString().replace(/:/g, "-").replace("Z", "");
    const taken = new Set(readdirSync(dirname(this.path)));
    let candidate = `${stem}-${stamp}${ext}`;
    for (let i = 1; taken.has(basename(candidate)); i++) candidate = `${stem}-${stamp}-${i}${ext}`;
    return candidate;
  }

  /** Backups of this capture, oldest first (their names sort by time). */
  backups(): string[] {
    const dir = dirname(this.path);
    const ext = extname(this.path);
    const stem = basename(this.path, ext);
    return readdirSync(dir)
      .filter((name) => {
        if (!name.startsWith(`${stem}-`) || !name.endsWith(ext)) return false;
        return BACKUP_STAMP.test(name.slice(stem.length + 1, name.length - ext.length));
      })
      .sort()
      .map((name) => join(dir, name));
  }

  private prune(): void {
    const backups = this.backups();
    for (const old of backups.slice(0, Math.max(0, backups.length - this.maxBackups))) unlinkSync(old);
  }
}
