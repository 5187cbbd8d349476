/**
 * Memory and CPU of the processes a scale run is made of: this Node process (every handler, the
 * scheduler, the endpoint and the demo source, as `npm start` runs them) and DynamoDB Local's JVM,
 * read from /proc (Linux); the machine's load average beside them, since the machine may be shared.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** One reading. CPU times are cumulative seconds since each process started. */
export interface UsageSample {
  readonly at: number;
  readonly nodeRssMiB: number;
  readonly nodeCpuSeconds: number;
  readonly javaRssMiB?: number;
  readonly javaCpuSeconds?: number;
  /** The 1-minute load average. */
  readonly load1: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

const javaUsage = (pid: number | undefined): { rssMiB: number; cpuSeconds: number } | undefined => {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMiB: rssKiB / 1024, cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return undefined;
  }
};

export const sampleUsage = (javaPid: number | undefined): UsageSample => {
  const cpu = process.cpuUsage();
  const java = javaUsage(javaPid);
  return {
    at: Date.now(),
    nodeRssMiB: process.memoryUsage().rss / 1024 / 1024,
    nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(java ? { javaRssMiB: java.rssMiB, javaCpuSeconds: java.cpuSeconds } : {}),
    load1: loadavg()[0]!,
  };
};

/** What a run's samples add up to: peaks, and CPU used between the first and last sample as cores. */
export interface UsageSummary {
  readonly nodeRssMiBPeak: number;
  /** Average cores busy (1.0 = one core all the time). */
  readonly nodeCores: number;
  readonly javaRssMiBPeak?: number;
  readonly javaCores?: number;
  readonly load1Mean: number;
  readonly load1Max: number;
  /** Seconds between the first and the last sample. */
  readonly seconds: number;
  /** CPU seconds used by Node and the JVM together between them. */
  readonly cpuSeconds: number;
}

export const summarizeUsage = (samples: readonly UsageSample[]): UsageSummary => {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const seconds = Math.max((last.at - first.at) / 1000, 1e-3);
  const javaRss = samples.map((s) => s.javaRssMiB).filter((v): v is number => v !== undefined);
  const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    nodeRssMiBPeak: round(Math.max(...samples.map((s) => s.nodeRssMiB)), 0),
    nodeCores: round((last.nodeCpuSeconds - first.nodeCpuSeconds) / seconds),
    ...(javaRss.length > 0 && first.javaCpuSeconds !== undefined && last.javaCpuSeconds !== undefined
      ? {
          javaRssMiBPeak: round(Math.max(...javaRss), 0),
          javaCores: round((last.javaCpuSeconds - first.javaCpuSeconds) / seconds),
        }
      : {}),
    load1Mean: round(samples.reduce((sum, s) => sum + s.load1, 0) / samples.length),
    load1Max: round(Math.max(...samples.map((s) => s.load1))),
    seconds: round(seconds, 1),
    cpuSeconds: round(
      last.nodeCpuSeconds - first.nodeCpuSeconds + (last.javaCpuSeconds ?? 0) - (first.javaCpuSeconds ?? 0),
      1,
    ),
  };
};
