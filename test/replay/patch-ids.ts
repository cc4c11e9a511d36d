/**
 * Patch ids as the workflow code names them and as recorded histories carry them, for the test
 * that no recorded id is ever renamed or dropped.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const PATCH_CALL = /\b(?:patched|deprecatePatch)\s*\(\s*(?:'([^']*)'|"([^"]*)"|`([^`$]*)`)\s*\)/g;
const ANY_PATCH_CALL = /\b(?:patched|deprecatePatch)\s*\(/g;

function* tsFilesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFilesUnder(path);
    else if (entry.isFile() && entry.name.endsWith('.ts')) yield path;
  }
}

/** Every `patched('…')` / `deprecatePatch('…')` id in the .ts files under `dir`. */
export function patchIdsInCode(dir: string): { ids: Set<string>; nonLiteralCalls: string[] } {
  const ids = new Set<string>();
  const nonLiteralCalls: string[] = [];
  for (const file of tsFilesUnder(dir)) {
    const text = readFileSync(file, 'utf8');
    let literal = 0;
    for (const m of text.matchAll(PATCH_CALL)) {
      ids.add((m[1] ?? m[2] ?? m[3])!);
      literal += 1;
    }
    // An id built at run time could not be checked here: every call must name its id literally.
    const calls = [...text.matchAll(ANY_PATCH_CALL)].length;
    if (calls !== literal) nonLiteralCalls.push(file);
  }
  return { ids, nonLiteralCalls };
}

const decodeJson = (base64: string): unknown => JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));

/**
 * Every patch id a history (Temporal's JSON form) recorded: the SDK's `core_patch` markers
 * (`{"id": …, "deprecated": …}`) and the `TemporalChangeVersion` search attribute it upserts.
 */
export function patchIdsInHistory(history: { events?: Array<Record<string, any>> }): Set<string> {
  const ids = new Set<string>();
  for (const event of history.events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      for (const p of marker.details?.['patch-data']?.payloads ?? []) ids.add((decodeJson(p.data) as { id: string }).id);
    }
    const version = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion;
    if (version?.data) for (const id of decodeJson(version.data) as string[]) ids.add(id);
  }
  return ids;
}

/**
 * The text of every version of every .json file ever committed under `dir` in the history of
 * HEAD (so an overwritten or deleted fixture still counts).
 */
export function everyCommittedVersion(repoRoot: string, dir: string): Array<{ blob: string; path: string; text: string }> {
  const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: repoRoot, input, encoding: 'utf8', maxBuffer: 1 << 30 });
  const blobs = new Map<string, string>();
  // --raw lists, for each commit touching dir, the blob before and after each file's change.
  for (const line of git(['log', '--format=', '--raw', '--no-abbrev', '--no-renames', 'HEAD', '--', dir]).split('\n')) {
    const m = /^:\d+ \d+ ([0-9a-f]+) ([0-9a-f]+) \w+\t(.+\.json)$/.exec(line);
    if (!m) continue;
    for (const blob of [m[1]!, m[2]!]) if (!/^0+$/.test(blob)) blobs.set(blob, m[3]!);
  }
  return [...blobs].map(([blob, path]) => ({ blob, path, text: git(['cat-file', 'blob', blob]) }));
}
