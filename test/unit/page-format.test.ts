import { createRequire } from 'node:module';
import { zoneOrUtc } from '../../src/lib/entrant-format';
import { pageTime, timeLeft } from '../../src/services/pages/page-format';

const countdown = createRequire(__filename)('../../public/assets/countdown.js') as { timeLeft(deadlineMs: number, nowMs: number): string };

describe('the entrant pages’ times', () => {
  it('the live countdown (public/assets/countdown.js) says what the server wrote, at every step', () => {
    const deadline = Date.parse('2030-01-01T12:00:00Z');
    for (const s of [-5, 0, 1, 59, 60, 61, 3599, 3600, 3661, 7200, 86_400 + 5]) {
      const now = deadline - s * 1000;
      expect(countdown.timeLeft(deadline, now)).toBe(timeLeft(deadline, now));
    }
    expect(timeLeft(deadline, deadline - 3661_000)).toBe('1 h 01 min left');
    expect(timeLeft(deadline, deadline - 61_000)).toBe('1 min 01 s left');
    expect(timeLeft(deadline, deadline)).toBe('expired');
  });

  it('deadlines are shown in the entrant’s zone with its name, UTC when none or an unknown one', () => {
    expect(zoneOrUtc(null)).toBe('UTC');
    expect(zoneOrUtc('Not/AZone')).toBe('UTC');
    expect(pageTime('2030-07-01T12:00:00Z', zoneOrUtc('Europe/Paris'))).toEqual({ iso: '2030-07-01T12:00:00.000Z', text: 'Mon, 1 Jul 2030, 14:00 CEST' });
    expect(pageTime('2030-07-01T12:00:00Z', 'UTC')!.text).toBe('Mon, 1 Jul 2030, 12:00 UTC');
    expect(pageTime(null, 'UTC')).toBeNull();
  });
});
