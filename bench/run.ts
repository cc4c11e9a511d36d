import { runDrawBench } from './draw';
import { runIntakeBench } from './intake';
import { runIntakeLoad } from './intake-load';
import { runOrdersBench } from './orders';
import { runApi } from '../src/cli/services';
import { readToolingConfig } from '../src/config';

/** `npm run bench -- <name>`: each benchmark prints one JSON object as its last line. */
export async function runBench(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  switch (name) {
    case 'intake':
      return runIntakeBench(rest);
    case 'draw':
      return runDrawBench(rest);
    case 'orders':
      return runOrdersBench(rest);
    case 'intake-api':
      // the API under test, its own process as in production (spawned by the intake benchmark);
      // exits cleanly when the benchmark is done with it, so a --cpu-prof profile gets written
      process.once('SIGTERM', () => process.exit(0));
      return runApi({ benchNoopRoute: true, intakeOptions: JSON.parse(readToolingConfig().DROPS_BENCH_INTAKE_OPTIONS) });
    case 'intake-load':
      // the load generator's own process (spawned by the intake benchmark)
      return runIntakeLoad(rest);
    default:
      console.error('usage: npm run bench -- intake | draw | orders');
      return 2;
  }
}
