import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A tool the project builds from its Go module into `.tools/bin` (once per machine, a minute or
 * so): `override` (a path from the environment) when it exists, else `.tools/bin/<binary>`, else
 * `go install <module>` there. Throws naming the module when the build fails.
 */
export async function ensureGoTool(o: { root: string; module: string; binary: string; override?: string; log: (line: string) => void }): Promise<string> {
  if (o.override && existsSync(o.override)) return o.override;
  const bin = join(o.root, '.tools', 'bin');
  const local = join(bin, o.binary);
  if (existsSync(local)) return local;
  o.log(`building ${o.binary} (${o.module}) into .tools/bin`);
  mkdirSync(bin, { recursive: true });
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('go', ['install', o.module], { env: { ...process.env, CGO_ENABLED: '0', GOBIN: bin }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => resolve(-1));
    child.on('exit', resolve);
  });
  if (code !== 0 || !existsSync(local)) throw new Error(`go install ${o.module} failed (exit ${code})`);
  return local;
}
