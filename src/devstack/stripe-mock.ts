import { ensureGoTool } from './go-tool';
import { spawn, type ChildProcess } from 'node:child_process';
import { readToolingConfig } from '../config';
import { StopWaiting, waitFor } from './wait';

/** Stripe's own API mock, pinned (field-notes.md): stateless, checks requests against Stripe's OpenAPI spec. */
export const STRIPE_MOCK_MODULE = 'github.com/stripe/stripe-mock@v0.197.0';

/** Finds `.tools/bin/stripe-mock` or builds it there from its Go module (a minute, once per machine). */
export function ensureStripeMock(root: string, log: (line: string) => void): Promise<string> {
  return ensureGoTool({ root, module: STRIPE_MOCK_MODULE, binary: 'stripe-mock', override: readToolingConfig().STRIPE_MOCK_PATH, log });
}

export async function startStripeMock(binary: string, port: number): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  // Without -https-addr it also binds HTTPS on the fixed port 12112, so a second stripe-mock on the
  // machine (another test run, a dev stack) exits at once; the system picks a free HTTPS port instead.
  const child = spawn(binary, ['-http-addr', `127.0.0.1:${port}`, '-https-addr', '127.0.0.1:'], { stdio: 'ignore' });
  let exited = false;
  // If this process exits without stopping it (a crash, process.exit), take it along.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.on('exit', () => {
    exited = true;
    process.removeListener('exit', killOnExit);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('stripe-mock', 60_000, async () => {
      // An exited stripe-mock will not come up: stop waiting at once.
      if (exited) throw new StopWaiting(`stripe-mock exited (is port ${port} taken?)`);
      const res = await fetch(`${url}/v1/balance`, { headers: { authorization: 'Bearer sk_test_123' } });
      return res.ok;
    });
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    process: child,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
    },
  };
}
