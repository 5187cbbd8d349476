import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort } from './servers.js';
import { stopChild } from './stop-child.js';

/** Where Debian's `dovecot-core` (pulled in by `dovecot-imapd`) puts the server. */
export const DOVECOT_BIN = process.env.DOVECOT_BIN ?? '/usr/sbin/dovecot';

/**
 * Skip the IMAP tests only on a developer machine without the package; under `CI=true` they run and
 * fail with the install command instead.
 */
export const skipWithoutDovecot = !existsSync(DOVECOT_BIN) && process.env.CI !== 'true';

/** A real Dovecot IMAP server on 127.0.0.1 (plain IMAP, no TLS), a direct child of the test process. */
export interface DovecotServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A logged-in imapflow client for the test's own APPENDs; `logout()` it when done. */
  client(): Promise<ImapFlow>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves to true once the server greets with `* OK`, false when the port does not answer. */
const greets = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('* OK'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

/** The uid and gid of a user from /etc/passwd (Dovecot refuses to access mail as root). */
const idsOf = (user: string): { uid: number; gid: number } => {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`No user "${user}" in /etc/passwd.`);
  return { uid: Number(uid), gid: Number(gid) };
};

/** The name of a group from /etc/group (Dovecot takes names, not numbers, for its service groups). */
const groupName = (gid: number): string =>
  readFileSync('/etc/group', 'utf8')
    .split('\n')
    .map((entry) => entry.split(':'))
    .find((fields) => fields[2] === String(gid))?.[0] ?? String(gid);

const configFor = (dir: string, port: number): string => {
  const asRoot = process.getuid?.() === 0;
  // As root, mail is accessed as nobody; otherwise every process runs as the current user.
  const mailUser = asRoot ? 'nobody' : userInfo().username;
  const mailGroup = asRoot ? 'nogroup' : groupName(userInfo().gid);
  return `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Failed logins answer at once: the wrong-password test must not wait for the delay.
auth_failure_delay = 0
mail_location = maildir:${dir}/mail/%u
mail_uid = ${mailUser}
mail_gid = ${mailGroup}
first_valid_uid = 1
${asRoot ? '' : `default_internal_user = ${mailUser}\ndefault_login_user = ${mailUser}\ndefault_internal_group = ${mailGroup}\n`}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUser} gid=${mailGroup} home=${dir}/mail/%u
}
service imap-login {
${asRoot ? '' : '  chroot =\n'}  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
# No penalty after a failed login: later logins from 127.0.0.1 would wait about 4 s.
service anvil {
${asRoot ? '' : '  chroot =\n'}  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
};

/**
 * Starts Dovecot in the foreground (`dovecot -F -c <conf>`) on a free port, from a self-contained
 * config in a fresh temporary directory, with one user; waits for the `* OK` greeting. Call `stop()`
 * in `afterAll`: it stops the server and removes the directory.
 */
export const startDovecot = async (
  user = 'analyst',
  password = 'phish-report-pw',
): Promise<DovecotServer> => {
  if (!existsSync(DOVECOT_BIN)) {
    throw new Error(
      `${DOVECOT_BIN} is missing. Install it: apt-get install -y dovecot-imapd (.ci/run does).`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'ferry-dovecot-'));
  let child: ChildProcess | undefined;
  try {
    // The mail user and the dovecot user must reach the mail folder and read the passwd file.
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'mail'));
    if (process.getuid?.() === 0) {
      const { uid, gid } = idsOf('nobody');
      await chown(join(dir, 'mail'), uid, gid);
    }
    await writeFile(join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`, { mode: 0o644 });

    for (let attempt = 1; ; attempt++) {
      // The port was free a moment ago; another process may take it first (Dovecot exits with 89).
      const port = await freePort();
      await writeFile(join(dir, 'dovecot.conf'), configFor(dir, port));
      child = spawn(DOVECOT_BIN, ['-F', '-c', join(dir, 'dovecot.conf')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const collect = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4_000);
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      const running = child;
      // A test process that dies without its teardown still takes the server with it.
      const killOnExit = () => running.kill('SIGKILL');
      process.once('exit', killOnExit);
      running.once('exit', () => process.off('exit', killOnExit));
      let spawnError: Error | undefined;
      running.once('error', (error) => {
        spawnError = error;
      });

      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && running.exitCode === null && !spawnError) {
        if (await greets(port)) {
          return {
            host: '127.0.0.1',
            port,
            user,
            password,
            async client() {
              const client = new ImapFlow({
                host: '127.0.0.1',
                port,
                secure: false,
                auth: { user, pass: password },
                logger: false,
                disableAutoIdle: true,
              });
              client.on('error', () => undefined);
              await client.connect();
              return client;
            },
            async stop() {
              await stopChild(running);
              await rm(dir, { recursive: true, force: true });
            },
          };
        }
        await sleep(50);
      }
      await stopChild(running);
      const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
      const why = spawnError?.message ?? `exit code ${running.exitCode}`;
      const portTaken = /in use/i.test(output + log);
      if (attempt === 3 || !portTaken) {
        throw new Error(`Dovecot did not start on port ${port} (${why}). Output:\n${output}\nLog:\n${log}`);
      }
      // A fresh base_dir for the next attempt: a leftover socket slows the first login.
      await rm(join(dir, 'run'), { recursive: true, force: true });
    }
  } catch (error) {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
};
