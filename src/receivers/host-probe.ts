// Reads the host's memory, CPU and filesystem state (Linux /proc first, Node's os module as fallback).
import { readFile, statfs } from "node:fs/promises";
import * as os from "node:os";

export interface MemoryReading {
  readonly totalBytes: number;
  /** Bytes per state (used = total − available, so page cache does not count as used). */
  readonly states: Readonly<Record<string, number>>;
}

export interface CpuTimes {
  /** Cumulative milliseconds per mode, summed over all CPUs. */
  readonly modes: Readonly<Record<string, number>>;
}

export interface MountEntry {
  readonly device: string;
  readonly mountpoint: string;
  readonly type: string;
}

export interface FilesystemReading extends MountEntry {
  readonly usedBytes: number;
  readonly availableBytes: number;
}

/** What the host metrics receiver asks of the machine; tests may substitute it. */
export interface HostProbe {
  memory(): Promise<MemoryReading>;
  cpuTimes(): CpuTimes;
  mounts(): Promise<MountEntry[]>;
  filesystem(mount: MountEntry): Promise<FilesystemReading | undefined>;
}

/** Pseudo and read-only image filesystems: never "disk usage" (squashfs snaps are always 100 % full). */
export const VIRTUAL_FS_TYPES: readonly string[] = [
  "autofs",
  "binfmt_misc",
  "bpf",
  "cgroup",
  "cgroup2",
  "configfs",
  "debugfs",
  "devpts",
  "devtmpfs",
  "efivarfs",
  "fusectl",
  "hugetlbfs",
  "iso9660",
  "mqueue",
  "nsfs",
  "proc",
  "pstore",
  "ramfs",
  "rpc_pipefs",
  "securityfs",
  "selinuxfs",
  "squashfs",
  "sysfs",
  "tmpfs",
  "tracefs",
];

export const systemHostProbe: HostProbe = {
  async memory() {
    try {
      return parseMeminfo(await readFile("/proc/meminfo", "utf8"));
    } catch {
      const total = os.totalmem();
      const free = os.freemem();
      return { totalBytes: total, states: { used: total - free, free } };
    }
  },
  cpuTimes() {
    const modes: Record<string, number> = { user: 0, nice: 0, system: 0, idle: 0, interrupt: 0 };
    for (const cpu of os.cpus()) {
      modes.user = (modes.user ?? 0) + cpu.times.user;
      modes.nice = (modes.nice ?? 0) + cpu.times.nice;
      modes.system = (modes.system ?? 0) + cpu.times.sys;
      modes.idle = (modes.idle ?? 0) + cpu.times.idle;
      modes.interrupt = (modes.interrupt ?? 0) + cpu.times.irq;
    }
    return { modes };
  },
  async mounts() {
    try {
      return parseMounts(await readFile("/proc/mounts", "utf8"));
    } catch {
      // No /proc (macOS, Windows): the root filesystem is still worth watching.
      return [{ device: "", mountpoint: "/", type: "" }];
    }
  },
  async filesystem(mount) {
    try {
      const s = await statfs(mount.mountpoint);
      if (s.blocks <= 0) return undefined;
      const used = (s.blocks - s.bfree) * s.bsize;
      return { ...mount, usedBytes: used, availableBytes: s.bavail * s.bsize };
    } catch {
      return undefined;
    }
  },
};

/** /proc/meminfo → used (total − MemAvailable), free, buffered, cached (incl. reclaimable slab). */
export function parseMeminfo(text: string): MemoryReading {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]) * 1024);
  }
  const total = kb.get("MemTotal") ?? os.totalmem();
  const free = kb.get("MemFree") ?? os.freemem();
  const available = kb.get("MemAvailable") ?? free + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0);
  return {
    totalBytes: total,
    states: {
      used: Math.max(0, total - available),
      free,
      buffered: kb.get("Buffers") ?? 0,
      cached: (kb.get("Cached") ?? 0) + (kb.get("SReclaimable") ?? 0),
    },
  };
}

/** /proc/mounts lines "device mountpoint type options …"; octal escapes (\040 = space) decoded. */
export function parseMounts(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const [device, mountpoint, type] = line.trim().split(/\s+/);
    if (!device || !mountpoint || !type) continue;
    entries.push({ device: unescapeMount(device), mountpoint: unescapeMount(mountpoint), type });
  }
  return entries;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export interface MountFilter {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly excludeFsTypes: readonly string[];
}

/**
 * Real filesystems to watch: virtual types dropped, include/exclude globs applied (`*` matches any
 * run of characters), a mountpoint listed twice kept once, and a block device mounted in several
 * places (bind mounts, container /etc/hosts) reported once under its shortest mountpoint.
 */
export function selectMounts(entries: readonly MountEntry[], filter: MountFilter): MountEntry[] {
  const include = filter.include.map(globToRegExp);
  const exclude = filter.exclude.map(globToRegExp);
  const byMountpoint = new Map<string, MountEntry>();
  for (const e of entries) {
    if (filter.excludeFsTypes.includes(e.type)) continue;
    if (include.length > 0 && !include.some((r) => r.test(e.mountpoint))) continue;
    if (exclude.some((r) => r.test(e.mountpoint))) continue;
    byMountpoint.set(e.mountpoint, e);
  }
  const sorted = [...byMountpoint.values()].sort((a, b) => a.mountpoint.length - b.mountpoint.length);
  const seenDevices = new Set<string>();
  const out: MountEntry[] = [];
  for (const e of sorted) {
    if (e.device.startsWith("/")) {
      if (seenDevices.has(e.device)) continue;
      seenDevices.add(e.device);
    }
    out.push(e);
  }
  return out.sort((a, b) => a.mountpoint.localeCompare(b.mountpoint));
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}
