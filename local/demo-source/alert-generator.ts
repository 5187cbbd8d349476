/**
 * Deterministic alert content for the demo source.
 *
 * An alert's content is a pure function of (seed, sequence number, created): the store keeps only
 * those numbers per alert and builds the object when a query returns it. That is what lets a
 * 1,000,000-alert backlog fit in a few tens of megabytes.
 */

/** Severity levels the demo source reports, lowest first. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** An alert as the demo source's API returns it. */
export interface DemoAlert {
  /** `A-` and a zero-padded sequence number, e.g. `A-000001`; increases in insertion order. */
  id: string;
  name: string;
  severity: Severity;
  /** ISO-8601 UTC with milliseconds, e.g. `2024-05-01T12:00:00.000Z`. */
  created: string;
  description: string;
  category: string;
  host: string;
  user: string;
  source_ip: string;
  /** Alerts added by tests may carry any further fields. */
  [field: string]: unknown;
}

/**
 * Formats a sequence number as an alert id: `A-000001`.
 *
 * @example formatAlertId(42) // 'A-000042'
 */
export function formatAlertId(seq: number, prefix = 'A'): string {
  return `${prefix}-${String(seq).padStart(6, '0')}`;
}

/**
 * A seeded pseudo-random generator (mulberry32) returning floats in [0, 1).
 * Small and fast; statistical quality is ample for demo data, and it is not for cryptography.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes seed and sequence number into one well-spread 32-bit state (murmur3 finaliser). */
function mixSeed(seed: number, seq: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seq, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Scene {
  host: string;
  user: string;
  ip: string;
  internalIp: string;
  country: string;
  malware: string;
  count: number;
}

interface Template {
  name: string;
  category: string;
  severities: readonly Severity[];
  /** Whether the alert's source is outside the network (its `source_ip` is public). */
  external: boolean;
  describe(s: Scene): string;
}

const TEMPLATES: readonly Template[] = [
  {
    name: 'Suspicious login from new country',
    category: 'identity',
    severities: ['medium', 'high'],
    external: true,
    describe: (s) => `${s.user} signed in from ${s.country} (${s.ip}); no sign-in from there in 90 days.`,
  },
  {
    name: 'Malware detected on host',
    category: 'endpoint',
    severities: ['medium', 'high', 'critical'],
    external: false,
    describe: (s) => `Endpoint protection quarantined ${s.malware} on ${s.host} (user ${s.user}).`,
  },
  {
    name: 'Impossible travel',
    category: 'identity',
    severities: ['medium', 'high'],
    external: true,
    describe: (s) => `${s.user} signed in from ${s.country} 40 minutes after a sign-in from the office.`,
  },
  {
    name: 'Brute-force attempt against account',
    category: 'identity',
    severities: ['low', 'medium'],
    external: true,
    describe: (s) => `${s.count} failed sign-ins for ${s.user} from ${s.ip} within 5 minutes.`,
  },
  {
    name: 'Phishing email reported by user',
    category: 'email',
    severities: ['low', 'medium'],
    external: true,
    describe: (s) => `${s.user} reported a message with a credential-harvesting link sent from ${s.ip}.`,
  },
  {
    name: 'Ransomware behavior detected',
    category: 'endpoint',
    severities: ['critical'],
    external: false,
    describe: (s) => `${s.host} renamed ${s.count * 40} files with a new extension in under a minute.`,
  },
  {
    name: 'User added to privileged group',
    category: 'identity',
    severities: ['medium', 'high'],
    external: false,
    describe: (s) => `${s.user} was added to Domain Admins from ${s.internalIp} outside a change window.`,
  },
  {
    name: 'Outbound connection to known C2 server',
    category: 'network',
    severities: ['high', 'critical'],
    external: false,
    describe: (s) => `${s.host} (${s.internalIp}) connected to ${s.ip}, listed as command-and-control.`,
  },
  {
    name: 'Large upload to personal cloud storage',
    category: 'data',
    severities: ['medium', 'high'],
    external: false,
    describe: (s) => `${s.user} uploaded ${s.count * 37} MB from ${s.host} to a personal storage account.`,
  },
  {
    name: 'Endpoint protection disabled',
    category: 'endpoint',
    severities: ['high'],
    external: false,
    describe: (s) => `Real-time protection was turned off on ${s.host} by ${s.user}.`,
  },
  {
    name: 'Suspicious PowerShell execution',
    category: 'endpoint',
    severities: ['low', 'medium', 'high'],
    external: false,
    describe: (s) => `Encoded PowerShell command launched by ${s.user} on ${s.host} from an Office process.`,
  },
  {
    name: 'MFA push fatigue',
    category: 'identity',
    severities: ['medium', 'high'],
    external: true,
    describe: (s) => `${s.user} denied ${s.count} MFA pushes in 10 minutes; requests came from ${s.ip}.`,
  },
  {
    name: 'Port scan from internal host',
    category: 'network',
    severities: ['low', 'medium'],
    external: false,
    describe: (s) => `${s.host} (${s.internalIp}) probed ${s.count * 25} ports on 12 internal hosts.`,
  },
  {
    name: 'Credential dumping attempt',
    category: 'endpoint',
    severities: ['high', 'critical'],
    external: false,
    describe: (s) => `A process on ${s.host} opened LSASS memory with read access (user ${s.user}).`,
  },
];

const FIRST_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const LAST_NAMES = ['smith', 'jones', 'garcia', 'chen', 'novak', 'okafor', 'silva', 'kim', 'muller', 'rossi'];
const HOST_PREFIXES = ['WS', 'LAPTOP', 'SRV-APP', 'SRV-DB', 'VDI'];
const COUNTRIES = ['Brazil', 'Nigeria', 'Romania', 'Vietnam', 'Russia', 'North Korea', 'Iran', 'Peru'];
const MALWARE = ['Emotet', 'QakBot', 'AgentTesla', 'RedLine Stealer', 'Cobalt Strike beacon', 'njRAT'];
// Documentation ranges (RFC 5737): realistic-looking public addresses that belong to no one.
const PUBLIC_NETS = ['192.0.2', '198.51.100', '203.0.113'];

/**
 * Builds the alert with sequence number `seq`, created at `createdMs`, for a given seed.
 * The same arguments always give the same alert.
 */
export function generateAlert(seed: number, seq: number, createdMs: number, idPrefix = 'A'): DemoAlert {
  const random = createRandom(mixSeed(seed, seq));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const upTo = (n: number): number => Math.floor(random() * n);
  const template = pick(TEMPLATES);
  const scene: Scene = {
    host: `${pick(HOST_PREFIXES)}-${String(upTo(1000)).padStart(3, '0')}`,
    user: `${pick(FIRST_NAMES)}.${pick(LAST_NAMES)}@example.com`,
    ip: `${pick(PUBLIC_NETS)}.${1 + upTo(254)}`,
    internalIp: `10.${upTo(256)}.${upTo(256)}.${1 + upTo(254)}`,
    country: pick(COUNTRIES),
    malware: pick(MALWARE),
    count: 5 + upTo(60),
  };
  return {
    id: formatAlertId(seq, idPrefix),
    name: template.name,
    severity: pick(template.severities),
    created: new Date(createdMs).toISOString(),
    description: template.describe(scene),
    category: template.category,
    host: scene.host,
    user: scene.user,
    source_ip: template.external ? scene.ip : scene.internalIp,
  };
}
