import { parseArgs, type ParseArgsConfig } from 'node:util';

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * A command's flags and positionals by `node:util` parseArgs (strict: an unknown flag, a
 * missing value or a stray positional is an error). On an error prints it with the command's
 * usage to stderr and returns null: the command then exits 2.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, usage: string, config: T, maxPositionals = 0): Parsed<T> | null {
  try {
    // strict is parseArgs' default: unknown flags and missing values throw.
    const parsed = parseArgs(config);
    const positionals = (parsed as { positionals?: string[] }).positionals ?? [];
    if (positionals.length > maxPositionals) throw new Error(`unexpected argument '${positionals[maxPositionals]}'`);
    return parsed;
  } catch (err) {
    return usageError(command, usage, (err as Error).message);
  }
}

/** Prints a usage error; returns null so callers can `return usageError(...) ?? 2`-style exit 2. */
export function usageError(command: string, usage: string, message: string): null {
  console.error(`drops ${command}: ${message}\nusage: ${usage}`);
  return null;
}
