/** `drops`: the drop engine's command line. */
import { runDemo } from './demo';
import { runDev } from './dev';
import { runHistory } from './history';
import { runInfra } from './infra';
import { runRecordHistories } from './record-histories';
import { runReplay } from './replay';
import { runApi, runSimulators, runWorker } from './services';
import { runVerifyDraw } from './verify-draw';
import { runReconcile } from './reconcile';
import { runStaff } from './staff';

const [command, ...args] = process.argv.slice(2);

/** Commands configured only by the environment: any argument is a usage error (exit 2). */
function noArguments(run: () => Promise<number>): () => Promise<number> {
  return async () => {
    if (args.length === 0) return run();
    console.error(`drops ${command}: takes no arguments, got '${args[0]}' (it is configured by the environment)\n${usage}`);
    return 2;
  };
}

const commands: Record<string, () => Promise<number>> = {
  dev: noArguments(runDev),
  demo: noArguments(runDemo),
  replay: () => runReplay(args),
  history: () => runHistory(args),
  infra: () => runInfra(args),
  worker: noArguments(runWorker),
  api: noArguments(() => runApi()),
  simulators: noArguments(runSimulators),
  'record-histories': () => runRecordHistories(args),
  'verify-draw': () => runVerifyDraw(args),
  reconcile: () => runReconcile(args),
  staff: () => runStaff(args),
};

const usage = `usage: drops <command>
  dev                          run the whole local stack and print its URLs and keys
  demo                         run a whole drop end to end and print its post-mortem
  replay <workflowId>          replay a workflow's history from the server against this code
  replay --file history.json   replay a saved history (one history, or an array of runs as history export writes)
  replay --drop <dropId>       replay the drop's workflow and every workflow with its DropId; exit 1 naming each failure
  history export <workflowId>  write every run's history as JSON (--out FILE, else stdout; several runs: an array, oldest first)
  verify-draw <dropId>         fetch a drop's draw record and recompute it (--api URL, --save FILE)
  verify-draw --file rec.json  recompute a saved draw record; exit 1 saying what differs
  reconcile <dropId>           compare the money ledger with the payment provider; exit 1 on any mismatch
  staff add --name N --role R  add a staff member (ops, support, admin) and print their API key once
  staff revoke <staffId>       revoke a staff member's key at once
  staff list                   list staff members (id, role, active or revoked, name)
  worker | api | simulators    run one production-topology process (configured by environment)
  record-histories [--only G]  add replay fixtures from a real run to test/replay/histories (never overwrites;
                               G: paths,branches,support,drop-controls)`;

const asksForHelp = command === undefined || command === 'help' || command === '--help' || command === '-h';
const run = command ? commands[command] : undefined;
if (!run) {
  if (!asksForHelp) console.error(`drops: unknown command '${command}'`);
  console.error(usage);
  process.exit(asksForHelp ? 0 : 2);
}
run().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`drops ${command}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
