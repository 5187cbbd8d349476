import { describe, expect, it } from 'vitest';
import { formatAlertId, generateAlert, SEVERITIES } from '../../../local/demo-source/alert-generator.js';

const CREATED = Date.parse('2024-05-01T12:00:00.123Z');

describe('generateAlert', () => {
  it('gives the same alert for the same seed, sequence number and time', () => {
    expect(generateAlert(7, 42, CREATED)).toEqual(generateAlert(7, 42, CREATED));
  });

  it('gives different content for another seed', () => {
    const a = Array.from({ length: 20 }, (_, i) => generateAlert(1, i + 1, CREATED).description);
    const b = Array.from({ length: 20 }, (_, i) => generateAlert(2, i + 1, CREATED).description);
    expect(a).not.toEqual(b);
  });

  it('fills every field of the API shape, created as ISO-8601 UTC with milliseconds', () => {
    const alert = generateAlert(1, 1, CREATED);
    expect(alert).toMatchObject({ id: 'A-000001', created: '2024-05-01T12:00:00.123Z' });
    for (const field of ['name', 'description', 'category', 'host', 'user'] as const) {
      expect(alert[field]).toEqual(expect.any(String));
    }
    expect(alert.user).toMatch(/^[a-z]+\.[a-z]+@example\.com$/);
    expect(alert.source_ip).toMatch(/^\d{1,3}(\.\d{1,3}){3}$/);
    expect(SEVERITIES).toContain(alert.severity);
  });

  it('spreads alerts over every severity and many names', () => {
    const alerts = Array.from({ length: 10_000 }, (_, i) => generateAlert(1, i + 1, CREATED));
    for (const severity of SEVERITIES) {
      const share = alerts.filter((alert) => alert.severity === severity).length / alerts.length;
      expect(share).toBeGreaterThan(0.05);
    }
    const names = new Set(alerts.map((alert) => alert.name));
    expect(names).toContain('Suspicious login from new country');
    expect(names).toContain('Malware detected on host');
    expect(names.size).toBeGreaterThanOrEqual(10);
  });
});

describe('formatAlertId', () => {
  it('zero-pads to six digits and grows beyond', () => {
    expect(formatAlertId(1)).toBe('A-000001');
    expect(formatAlertId(999_999)).toBe('A-999999');
    expect(formatAlertId(1_000_000)).toBe('A-1000000');
  });
});
