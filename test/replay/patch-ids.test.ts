import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { everyCommittedVersion, patchIdsInCode, patchIdsInHistory } from './patch-ids';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, 'histories');
const code = patchIdsInCode(join(ROOT, 'workflows'));

/** `{ id: [files that recorded it] }` for the ids the workflow code does not know. */
const unknownIds = (histories: Array<{ path: string; text: string }>) => {
  const unknown: Record<string, string[]> = {};
  for (const h of histories) {
    for (const id of patchIdsInHistory(JSON.parse(h.text))) if (!code.ids.has(id)) (unknown[id] ??= []).push(h.path);
  }
  return unknown;
};

describe('patch ids: a recorded id is never renamed or dropped', () => {
  it('finds the patch ids in the workflow code, each named literally', () => {
    expect(code.nonLiteralCalls).toEqual([]);
    expect([...code.ids]).toEqual(expect.arrayContaining(['settle-provider-leftovers', 'void-unused-authorizations']));
  });

  it('reads the ids a history recorded (markers and TemporalChangeVersion)', () => {
    const drop = JSON.parse(readFileSync(join(FIXTURES, 'drop-v2-whole.void-unused-authorizations.json'), 'utf8'));
    expect([...patchIdsInHistory(drop)]).toEqual(['void-unused-authorizations']);
    expect(patchIdsInHistory(JSON.parse(readFileSync(join(FIXTURES, 'drop-whole.json'), 'utf8'))).size).toBe(0);
  });

  it('knows every patch id that a committed history recorded', () => {
    const committed = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ path: f, text: readFileSync(join(FIXTURES, f), 'utf8') }));
    expect(unknownIds(committed)).toEqual({});
  });

  it('knows every patch id that any version of a history ever committed recorded (an overwritten fixture counts)', () => {
    const versions = everyCommittedVersion(ROOT, 'test/replay/histories');
    expect(versions.length).toBeGreaterThan(0);
    expect(unknownIds(versions)).toEqual({});
  });
});
