/** `drops`: the drop engine's command line. */
import { runDemo } from './demo';
import { runDev } from './dev';
import { runInfra } from './infra';
import { runRecordHistories } from './record-histories';
import { runReplay } from './replay';
import { runApi, runSimulators, runWorker } from './services';
import { runVerifyDraw } from './verify-draw';
import { runReconcile } from './reconcile';

const [command, ...args] = process.argv.slice(2);

const commands: Record<string, () => Promise<number>> = {
  dev: runDev,
  demo: runDemo,
  replay: () => runReplay(args),
  infra: () => runInfra(args),
  worker: runWorker,
  api: runApi,
  simulators: runSimulators,
  'record-histories': runRecordHistories,
  'verify-draw': () => runVerifyDraw(args),
  reconcile: () => runReconcile(args),
};

const usage = `usage: drops <command>
  dev                          run the whole local stack and print its URLs and keys
  demo                         run a whole drop end to end and print its post-mortem
  replay <workflowId>          replay a workflow's history from the server against this code
  replay --file history.json   replay a saved history
  verify-draw <dropId>         fetch a drop's draw record and recompute it (--api URL, --save FILE)
  verify-draw --file rec.json  recompute a saved draw record; exit 1 saying what differs
  reconcile <dropId>           compare the money ledger with the payment provider; exit 1 on any mismatch
  worker | api | simulators    run one production-topology process (configured by environment)
  record-histories             re-record the replay fixtures in test/replay/histories`;

const run = command ? commands[command] : undefined;
if (!run) {
  console.error(usage);
  process.exit(command ? 2 : 0);
}
run().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`drops ${command}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
