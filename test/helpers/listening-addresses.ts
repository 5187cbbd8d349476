import { readFile } from 'node:fs/promises';

/** `0100007F` (little-endian hex, as /proc/net/tcp writes IPv4) → `127.0.0.1`. */
const ipv4 = (hex: string) => [6, 4, 2, 0].map((at) => Number.parseInt(hex.slice(at, at + 2), 16)).join('.');

/** /proc/net/tcp6's 32 hex digits (four little-endian words) → a compact IPv6 text, IPv4-mapped shown as such. */
const ipv6 = (hex: string) => {
  const bytes = [0, 8, 16, 24].flatMap((word) =>
    [6, 4, 2, 0].map((at) => Number.parseInt(hex.slice(word + at, word + at + 2), 16)),
  );
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
};

const LISTEN = '0A';

/**
 * The local addresses the kernel has a listening TCP socket on for `port` (Linux: /proc/net/tcp{,6}),
 * such as `127.0.0.1`, `::ffff:127.0.0.1` or `0.0.0.0` — what `ss -ltn` shows, without needing `ss`.
 */
export const listeningAddresses = async (port: number): Promise<string[]> => {
  const found: string[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    const table = await readFile(file, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== LISTEN) continue;
      const [address, portHex] = local.split(':');
      if (Number.parseInt(portHex!, 16) === port) found.push(decode(address!));
    }
  }
  return found;
};

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x. */
export const isLoopbackAddress = (address: string): boolean =>
  /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address) || address === '0:0:0:0:0:0:0:1' || address === '::1';
