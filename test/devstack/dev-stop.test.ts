import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/devstack/ports';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { eventually } from '../helpers/context';

/** Every process below `pid` now, by /proc's parent links: its children and theirs. */
function descendants(pid: number): Array<{ pid: number; name: string }> {
  const parentOf = new Map<number, number>();
  const nameOf = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      parentOf.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
      nameOf.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      // gone meanwhile
    }
  }
  const found: Array<{ pid: number; name: string }> = [];
  const walk = (parent: number) => {
    for (const [child, p] of parentOf) {
      if (p === parent) {
        found.push({ pid: child, name: nameOf.get(child)! });
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** Running, as opposed to gone or a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * G1: `drops dev` stops every process it started on SIGTERM and on SIGINT and exits 0, and a
 * taken fixed port fails its start naming the port, rather than using whatever listens there.
 */
describe('drops dev: stopping and taken ports', () => {
  let dataDir: string;
  const started: ChildProcess[] = [];
  const leftovers: number[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'drops-dev-stop-'));
    // Postgres runs as the `postgres` OS user when we are root: it must reach its data dir.
    chmodSync(dataDir, 0o755);
  });

  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of leftovers) if (running(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `drops dev` on free ports with its data under the test's folder, from the run's workflow bundle. */
  async function startDev(name: string, ports: Partial<Record<string, number>> = {}) {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DROPS_DATA_DIR: join(dataDir, name),
      DROPS_DEV_TEMPORAL_PORT: String(ports.temporal ?? (await freePort())),
      DROPS_DEV_TEMPORAL_UI_PORT: String(await freePort()),
      DROPS_DEV_POSTGRES_PORT: String(await freePort()),
      API_PORT: String(await freePort()),
      DROPS_WORKFLOW_BUNDLE: process.env.DROPS_TEST_WORKFLOW_BUNDLE,
    };
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'drops.js'), 'dev'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    const output: string[] = [];
    child.stdout!.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, output, exited, env };
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops Temporal, Postgres and every other child, and exits 0', async (signal) => {
    const dev = await startDev(signal.toLowerCase());
    await eventually(
      '"stack is up"',
      async () => {
        if (dev.child.exitCode !== null) throw new Error(`drops dev exited ${dev.child.exitCode}: ${dev.output.join('')}`);
        return dev.output.join('').includes('drops dev stack is up') ? true : undefined;
      },
      240_000,
    );
    const children = descendants(dev.child.pid!);
    leftovers.push(...children.map((c) => c.pid));
    const names = children.map((c) => c.name);
    expect(names).toContain('temporal');
    expect(names).toContain('postgres');

    dev.child.kill(signal);
    const { code } = await dev.exited;
    expect(dev.output.join('')).not.toContain('while stopping');
    expect(code).toBe(0);
    const stillRunning = await eventually(
      'every child of drops dev to be gone',
      async () => {
        const alive = children.filter((c) => running(c.pid));
        return alive.length === 0 ? alive : undefined;
      },
      20_000,
    ).catch(() => children.filter((c) => running(c.pid)));
    expect(stillRunning).toEqual([]);
    // Nothing is left holding its data either: Postgres removed its pid file on a clean stop.
    expect(existsSync(join(dev.env.DROPS_DATA_DIR!, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  describe('with its Temporal port taken', () => {
    let holder: Server;
    let port: number;

    beforeAll(async () => {
      // Answers nothing and holds the port, as a server left by an earlier run would.
      holder = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      port = (holder.address() as { port: number }).port;
    });

    afterAll(async () => {
      await new Promise((r) => holder.close(r));
    });

    it('exits non-zero naming the port, without starting the stack', async () => {
      const dev = await startDev('taken', { temporal: port });
      const { code } = await dev.exited;
      const said = dev.output.join('');
      expect(said).toContain(`Temporal port ${port} is taken by another process`);
      expect(said).toContain('DROPS_DEV_TEMPORAL_PORT');
      expect(said).not.toContain('stack is up');
      expect(code).toBe(1);
      // It stopped before starting a Temporal server of its own (whose data dir it would create).
      expect(existsSync(join(dev.env.DROPS_DATA_DIR!, 'temporal'))).toBe(false);
    });
  });
});
