import { parseArgs } from 'node:util';
import { runApi } from '../src/cli/services';
import { readToolingConfig } from '../src/config';
import { runDrawBench } from './draw';
import { runIntakeBench } from './intake';
import { runIntakeLoad } from './intake-load';
import { runOrdersBench } from './orders';

const USAGE = `usage: npm run bench -- <benchmark> [flags]
  intake  [--seconds 10] [--rounds 3] [--warmup 10] [--only noop|intake] [--batch N] [--in-flight N] [--queue N] [--min-busy N]
  draw    [--entries 1000000] [--units 10000]
  orders  [--orders 10000]`;

/** A flag's value as a positive integer (its default when absent); throws naming the flag. */
const positive = (values: Record<string, unknown>, flag: string, fallback?: number): number | undefined => {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer, not '${String(raw)}'`);
  return n;
};

/** `npm run bench -- <name>`: each benchmark prints one JSON object as its last line. Bad flags: usage, exit 2. */
export async function runBench(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  let run: () => Promise<number>;
  try {
    switch (name) {
      case 'intake': {
        const int = { type: 'string' } as const;
        const { values } = parseArgs({
          args,
          options: { seconds: int, rounds: int, warmup: int, only: int, batch: int, 'in-flight': int, queue: int, 'min-busy': int },
        });
        if (values.only !== undefined && values.only !== 'noop' && values.only !== 'intake')
          throw new Error(`--only takes noop or intake, not '${values.only}'`);
        const opts = {
          seconds: positive(values, 'seconds', 10)!,
          rounds: positive(values, 'rounds', 3)!,
          warmup: positive(values, 'warmup', 10)!,
          only: values.only as 'noop' | 'intake' | undefined,
          batch: positive(values, 'batch'),
          inFlight: positive(values, 'in-flight'),
          queue: positive(values, 'queue'),
          minBusy: positive(values, 'min-busy'),
        };
        run = () => runIntakeBench(opts);
        break;
      }
      case 'draw': {
        const { values } = parseArgs({ args, options: { entries: { type: 'string' }, units: { type: 'string' } } });
        const opts = { entries: positive(values, 'entries', 1_000_000)!, units: positive(values, 'units', 10_000)! };
        run = () => runDrawBench(opts);
        break;
      }
      case 'orders': {
        const { values } = parseArgs({ args, options: { orders: { type: 'string' } } });
        const opts = { orders: positive(values, 'orders', 10_000)! };
        run = () => runOrdersBench(opts);
        break;
      }
      case 'intake-api':
        // the API under test, its own process as in production (spawned by the intake benchmark);
        // exits cleanly when the benchmark is done with it, so a --cpu-prof profile gets written
        process.once('SIGTERM', () => process.exit(0));
        return runApi({ benchNoopRoute: true, intakeOptions: JSON.parse(readToolingConfig().DROPS_BENCH_INTAKE_OPTIONS) });
      case 'intake-load':
        // the load generator's own process (spawned by the intake benchmark, positional arguments)
        return runIntakeLoad(args);
      default:
        throw new Error(name ? `unknown benchmark '${name}'` : 'which benchmark?');
    }
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  return run();
}
