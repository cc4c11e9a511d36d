import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/devstack/stack';

/** Flags are parsed strictly (node:util parseArgs): a bad one prints the usage and exits 2, before any work. */
describe('command-line usage errors', () => {
  const run = (bin: 'drops.js' | 'bench.js', args: string[]) =>
    spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', bin), ...args], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 60_000 });

  it.each([
    [['api', '--port', '8080'], "takes no arguments, got '--port'"],
    [['worker', 'now'], "takes no arguments, got 'now'"],
    [['replay'], 'a workflow id, --file or --drop is required'],
    [['replay', 'drop:a', '--file', 'h.json'], 'give one of a workflow id, --file or --drop, not several'],
    [['replay', '--drop', 'Not A Drop"'], `'Not A Drop"' is not a drop id`],
    [['history'], 'a subcommand is required: export'],
    [['history', 'import', 'drop:a'], "unknown subcommand 'import'"],
    [['history', 'export'], 'a workflow id is required'],
    [['infra', '--ready-file'], "Option '--ready-file <value>' argument missing"],
    [['verify-draw', 'a', 'b'], "unexpected argument 'b'"],
    [['reconcile', 'a', '--jsn'], "Unknown option '--jsn'"],
    [['no-such-command'], "unknown command 'no-such-command'"],
  ])('drops %j exits 2 with the usage', (args, message) => {
    const r = run('drops.js', args);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('usage');
    expect(r.status).toBe(2);
  });

  it.each([
    [['draw', '--units', 'many'], "--units must be a positive integer, not 'many'"],
    [['intake', '--second', '3'], "Unknown option '--second'"],
    [['nope'], "unknown benchmark 'nope'"],
  ])('npm run bench -- %j exits 2 with the usage', (args, message) => {
    const r = run('bench.js', args);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('usage: npm run bench');
    expect(r.status).toBe(2);
  });

  it('prints the usage and exits 0 for drops --help', () => {
    const r = run('drops.js', ['--help']);
    expect(r.stderr).toContain('usage: drops <command>');
    expect(r.status).toBe(0);
  });
});
