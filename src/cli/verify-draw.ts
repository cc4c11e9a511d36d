import { readFileSync, writeFileSync } from 'node:fs';
import { readEnvConfig } from '../config';
import { verifyDrawRecord, type DrawRecord } from '../domain/draw/record';
import { parseCommandArgs, usageError } from './args';

/**
 * `drops verify-draw <dropId> [--api URL] [--save FILE]` fetches the published record;
 * `drops verify-draw --file record.json` reads one. Either way the ranking, the digest, the
 * seed's commitment and the winners are recomputed from the record alone.
 */
const USAGE = 'drops verify-draw <dropId> [--api URL] [--save FILE] | drops verify-draw --file record.json';

export async function runVerifyDraw(args: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    'verify-draw',
    USAGE,
    { args, allowPositionals: true, options: { api: { type: 'string' }, save: { type: 'string' }, file: { type: 'string' } } },
    1,
  );
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const [dropId] = positionals;
  let text: string;
  if (values.file) {
    if (dropId || values.api || values.save) return usageError('verify-draw', USAGE, '--file takes no drop id, --api or --save') ?? 2;
    text = readFileSync(values.file, 'utf8');
  } else {
    if (!dropId) return usageError('verify-draw', USAGE, 'a drop id or --file is required') ?? 2;
    const api = values.api ?? readEnvConfig().DROPS_PUBLIC_API_URL ?? 'http://127.0.0.1:8080';
    const res = await fetch(`${api.replace(/\/$/, '')}/v1/drops/${encodeURIComponent(dropId)}/draw`);
    if (!res.ok) {
      console.error(`could not fetch the draw record: HTTP ${res.status} ${await res.text()}`);
      return 2;
    }
    text = await res.text();
    if (values.save) writeFileSync(values.save, text);
  }
  let record: DrawRecord;
  try {
    record = JSON.parse(text) as DrawRecord;
  } catch {
    console.error('the record is not valid JSON');
    return 1;
  }
  const result = verifyDrawRecord(record);
  if (result.ok) {
    console.log(`draw ${record.dropId} verified: ${result.entries} entries, ${result.winners} winners, ranking recomputed from the record alone`);
    return 0;
  }
  console.error(`draw ${record.dropId} does NOT verify:`);
  for (const p of result.problems) console.error(`  - ${p}`);
  return 1;
}
