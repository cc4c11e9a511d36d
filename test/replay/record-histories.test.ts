import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_NAMES, RECORDING_GROUPS, recordingGroups, recordingTag, takenFixtures, writeNewFixture } from '../../src/cli/record-histories';

describe('drops record-histories only adds fixtures', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fixtures-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tags each recording with the UTC date and the commit', () => {
    expect(recordingTag(new Date('2026-11-30T23:59:00Z'))).toMatch(/^2026-11-30\.[0-9a-f]{7,}(-dirty)?$/);
  });

  it('names the fixtures a recording would replace, whole or as the first of its runs', () => {
    const tag = '2026-11-30.abc1234';
    expect(takenFixtures(dir, tag)).toEqual([]);
    writeFileSync(join(dir, `order-v2-shipped.${tag}.json`), '{}');
    writeFileSync(join(dir, `drop-v2-continued-as-new.${tag}.run-1.json`), '{}');
    writeFileSync(join(dir, 'order-v2-shipped.2026-11-29.abc1234.json'), '{}');
    expect(takenFixtures(dir, tag).sort()).toEqual([`drop-v2-continued-as-new.${tag}`, `order-v2-shipped.${tag}`]);
    expect(FIXTURE_NAMES).toEqual(expect.arrayContaining(['drop-v2-whole', 'order-v2-needs-support', 'order-v2-hold-captured']));
  });

  it('records the support actions and ops controls under their own names, each name once', () => {
    expect(FIXTURE_NAMES).toEqual(
      expect.arrayContaining(['order-v2-support-retry-payment', 'order-v2-support-retry-compensation', 'drop-v2-cancelled-before-draw', 'drop-v2-restocked']),
    );
    expect(new Set(FIXTURE_NAMES).size).toBe(FIXTURE_NAMES.length);
  });

  it('runs every group unless --only names some; an unknown group is refused', () => {
    expect(recordingGroups(undefined)).toEqual(RECORDING_GROUPS);
    expect(recordingGroups('support,drop-controls')).toEqual(['support', 'drop-controls']);
    expect(recordingGroups('support,nonsense')).toBeNull();
  });

  it('refuses to write over a fixture and leaves it as it was', () => {
    writeNewFixture(dir, 'a.json', 'first');
    expect(() => writeNewFixture(dir, 'a.json', 'second')).toThrow(/EEXIST/);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('first');
  });
});
