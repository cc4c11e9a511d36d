/** `node bin/bench.js <name>`: runs one benchmark and exits with its code. */
import { runBench } from './run';

runBench(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
