import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { projectRoot } from './paths.js';

/** Where and on what the benchmarks ran. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly os: string;
  /** `git rev-parse HEAD`, and whether the working tree had changes. */
  readonly commit: string;
  readonly dirty: boolean;
  readonly java: string;
}

const git = (args: string[]): string => {
  try {
    return execFileSync('git', args, {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
};

/** The JVM that runs DynamoDB Local (`java -version` writes to stderr). */
const javaVersion = (): string => {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return `${result.stderr ?? ''}${result.stdout ?? ''}`.split('\n')[0]?.trim() || 'unknown';
};

/** Describes this machine and the checkout. */
export const machineInfo = (): MachineInfo => {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGiB: totalmem() / 1024 ** 3,
    node: process.version,
    os: `${platform()} ${release()}`,
    commit: git(['rev-parse', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain']) !== '',
    java: javaVersion(),
  };
};

/** The 1-, 5- and 15-minute load averages, as `uptime` prints them. */
export const loadAverage = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
