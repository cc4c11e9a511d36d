import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { freePort } from '../../src/devstack/ports';
import { ensureTemporalCli, PortTakenError, startTemporalDevServer } from '../../src/devstack/temporal';

/**
 * The dev stack's Temporal start when its port is taken (by a leftover server, or, for a port
 * found free, by an outgoing connection handed it before the server binds it): a fixed port
 * fails at once with PortTakenError naming it, and a 'free' port is tried again elsewhere.
 */
describe('Temporal dev server on a taken port', () => {
  let holder: Server;
  let takenPort: number;
  let dataDir: string;
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);

  beforeAll(async () => {
    // It only holds the port: a connection made to it (the start's readiness probe) is dropped.
    holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    takenPort = (holder.address() as { port: number }).port;
    dataDir = mkdtempSync(join(tmpdir(), 'drops-temporal-port-'));
  });

  afterAll(async () => {
    await new Promise((r) => holder.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails with PortTakenError on a fixed port that is taken', async () => {
    const binary = ensureTemporalCli(PROJECT_ROOT, log);
    // A PortTakenError (not the start deadline's timeout) shows it stopped waiting when the server exited.
    await expect(startTemporalDevServer({ binary, dataDir: join(dataDir, 'fixed'), port: takenPort, uiPort: null, log })).rejects.toBeInstanceOf(
      PortTakenError,
    );
  });

  it("starts on another port when the 'free' port it was given is taken", async () => {
    const handedOut: number[] = [];
    const pickPort = async () => {
      const port = handedOut.length === 0 ? takenPort : await freePort();
      handedOut.push(port);
      return port;
    };
    const binary = ensureTemporalCli(PROJECT_ROOT, log);
    const server = await startTemporalDevServer({ binary, dataDir: join(dataDir, 'free'), port: 'free', uiPort: null, log, pickPort });
    try {
      expect(handedOut).toHaveLength(2);
      expect(server.address).toBe(`127.0.0.1:${handedOut[1]}`);
      expect(lines.some((l) => l.includes(`Temporal port ${takenPort} is taken`))).toBe(true);
      const connection = await Connection.connect({ address: server.address });
      try {
        const info = await connection.workflowService.getSystemInfo({});
        expect(info.serverVersion).toBeTruthy();
      } finally {
        await connection.close();
      }
    } finally {
      await server.stop();
    }
  });
});
