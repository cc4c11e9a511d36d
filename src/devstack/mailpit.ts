import { ensureGoTool } from './go-tool';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readToolingConfig } from '../config';
import { StopWaiting, waitFor } from './wait';

/** Mailpit, pinned (issue 15): a real SMTP server with an HTTP API and web UI to read what was sent. */
export const MAILPIT_MODULE = 'github.com/axllent/mailpit@v1.33.1';

/** Finds `.tools/bin/mailpit` or builds it there from its Go module (a minute, once per machine). */
export function ensureMailpit(root: string, log: (line: string) => void): Promise<string> {
  return ensureGoTool({ root, module: MAILPIT_MODULE, binary: 'mailpit', override: readToolingConfig().MAILPIT_PATH, log });
}

export interface MailpitOptions {
  binary: string;
  smtpPort: number;
  httpPort: number;
  /**
   * Only recipients matching this (Go) regular expression are accepted; others get a permanent
   * `550` rejection (the tests' bounces). Default: every recipient.
   */
  allowedRecipients?: string;
}

export interface Mailpit {
  /** `smtp://127.0.0.1:<smtpPort>` (no TLS; any or no authentication accepted). */
  smtpUrl: string;
  /** The web UI and its API (`/api/v1/...`). */
  httpUrl: string;
  /** Stops the server; it keeps its messages for `start()` (a test's outage). */
  pause(): Promise<void>;
  /** Starts it again on the same ports, with the messages it held. */
  start(): Promise<void>;
  /** Stops it for good and deletes its messages. */
  stop(): Promise<void>;
}

/**
 * Starts Mailpit on 127.0.0.1, its messages in a temporary SQLite file (kept across `pause()` /
 * `start()`, deleted by `stop()`), no message limit, and waits until its API answers.
 */
export async function startMailpit(opts: MailpitOptions): Promise<Mailpit> {
  const dir = mkdtempSync(join(tmpdir(), 'drops-mailpit-'));
  const smtpUrl = `smtp://127.0.0.1:${opts.smtpPort}`;
  const httpUrl = `http://127.0.0.1:${opts.httpPort}`;
  const args = [
    '--smtp',
    `127.0.0.1:${opts.smtpPort}`,
    '--listen',
    `127.0.0.1:${opts.httpPort}`,
    '--database',
    join(dir, 'mailpit.db'),
    // 0: keep every message (a demo sends thousands; the default keeps 500).
    '--max',
    '0',
    '--smtp-auth-accept-any',
    '--smtp-auth-allow-insecure',
    '--smtp-disable-rdns',
    '--disable-version-check',
    '--quiet',
    ...(opts.allowedRecipients ? ['--smtp-allowed-recipients', opts.allowedRecipients] : []),
  ];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const c = spawn(opts.binary, args, { stdio: 'ignore' });
    child = c;
    let gone = false;
    // If this process exits without stopping it (a crash, process.exit), take it along.
    const killOnExit = () => c.kill('SIGKILL');
    process.on('exit', killOnExit);
    exited = new Promise<void>((resolve) =>
      c.on('exit', () => {
        gone = true;
        process.removeListener('exit', killOnExit);
        resolve();
      }),
    );
    try {
      await waitFor('mailpit', 60_000, async () => {
        if (gone) throw new StopWaiting(`mailpit exited (is port ${opts.smtpPort} or ${opts.httpPort} taken?)`);
        const res = await fetch(`${httpUrl}/api/v1/info`);
        return res.ok;
      });
    } catch (err) {
      if (!gone) c.kill('SIGKILL');
      throw err;
    }
  };
  const halt = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    await exited;
  };

  await launch().catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    smtpUrl,
    httpUrl,
    pause: halt,
    start: async () => {
      if (child) return;
      await launch();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
