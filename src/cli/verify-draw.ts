import { readFileSync, writeFileSync } from 'node:fs';
import { verifyDrawRecord, type DrawRecord } from '../domain/draw/record';

/**
 * `drops verify-draw <dropId> [--api URL] [--save FILE]` fetches the published record;
 * `drops verify-draw --file record.json` reads one. Either way the ranking, the digest, the
 * seed's commitment and the winners are recomputed from the record alone.
 */
export async function runVerifyDraw(args: string[]): Promise<number> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  let text: string;
  const file = flag('--file');
  if (file) {
    text = readFileSync(file, 'utf8');
  } else {
    const dropId = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
    if (!dropId) {
      console.error('usage: drops verify-draw <dropId> [--api URL] [--save FILE] | --file record.json');
      return 2;
    }
    const api = flag('--api') ?? process.env.DROPS_PUBLIC_API_URL ?? 'http://127.0.0.1:8080';
    const res = await fetch(`${api.replace(/\/$/, '')}/v1/drops/${encodeURIComponent(dropId)}/draw`);
    if (!res.ok) {
      console.error(`could not fetch the draw record: HTTP ${res.status} ${await res.text()}`);
      return 2;
    }
    text = await res.text();
    const save = flag('--save');
    if (save) writeFileSync(save, text);
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
