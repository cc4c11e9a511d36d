import { writeFileSync } from 'node:fs';
import { parseCommandArgs, usageError } from './args';
import { everyRunHistory, historiesToJSON, isWorkflowNotFound, withTemporalClient } from './workflow-runs';

/**
 * `drops history export <workflowId> [--out FILE]`: every run of a workflow's history from the
 * server (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), following continue-as-new, as JSON that
 * `drops replay --file` reads: one run is Temporal's history JSON; several runs are a JSON array
 * of them, oldest first. Printed to stdout without --out. Exit 1 when the workflow is not found.
 */
const USAGE = 'drops history export <workflowId> [--out FILE]   (several runs: a JSON array of histories, oldest first)';

export async function runHistory(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'export') return usageError('history', USAGE, sub === undefined ? 'a subcommand is required: export' : `unknown subcommand '${sub}'`) ?? 2;
  const parsed = parseCommandArgs('history export', USAGE, { args: rest, allowPositionals: true, options: { out: { type: 'string' } } }, 1);
  if (!parsed) return 2;
  const [workflowId] = parsed.positionals;
  if (!workflowId) return usageError('history export', USAGE, 'a workflow id is required') ?? 2;
  return withTemporalClient(async (client, where) => {
    let runs;
    try {
      runs = await everyRunHistory(client, workflowId);
    } catch (err) {
      if (!isWorkflowNotFound(err)) throw err;
      console.error(`drops history export: workflow ${workflowId} not found (${where})`);
      return 1;
    }
    const json = historiesToJSON(runs);
    if (parsed.values.out) {
      writeFileSync(parsed.values.out, `${json}\n`);
      console.error(`wrote ${runs.length} run${runs.length === 1 ? '' : 's'} of ${workflowId} to ${parsed.values.out}`);
    } else {
      // Flushed before main's process.exit, whatever stdout is (a pipe may be asynchronous). A
      // reader that stopped early (`| head`) is EPIPE: its choice, not our failure.
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err && (err as NodeJS.ErrnoException).code !== 'EPIPE' ? reject(err) : resolve());
        process.stdout.once('error', done);
        process.stdout.write(`${json}\n`, done);
      });
    }
    return 0;
  });
}
