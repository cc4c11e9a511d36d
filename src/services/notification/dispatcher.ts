import { claimDueMessages, expandCampaignBatch, finishMessage, rescheduleMessage, retryMessageAt } from '../../db/repositories/notification-dispatch';
import type { Db } from '../../db/connection';
import type { NotificationRow } from '../../db/schema';
import type { MessageKind } from '../../domain/notification/kinds';
import { messageIdFor, type EmailSender } from '../../integrations/email-sender';
import { EmailTemplates, prepareMessage, type RenderSecrets } from './render';
import { withoutAddresses } from '../../domain/notification/without-addresses';

export interface DispatcherOptions {
  db: Db;
  sender: EmailSender;
  secrets: RenderSecrets;
  /** Base URL of the links in messages (DROPS_PUBLIC_URL). */
  publicUrl: string;
  templates?: EmailTemplates;
  /** Bulk messages per second (default 50); transactional ones are not limited. */
  bulkPerSecond?: number;
  /** Attempts before a row is `failed` (default 250: over an hour at the 30 s cap). */
  maxAttempts?: number;
  /** The longest pause between two attempts (default 30 s); the first is 1 s, then doubling, with jitter. */
  retryCapMs?: number;
  /** Rows claimed at once per lane (default 20). */
  batchSize?: number;
  /** Entries expanded from a campaign per step (default 2,000). */
  campaignBatch?: number;
  /** Pause when nothing is due (default 250 ms). */
  idleMs?: number;
  /** No contact details are ever passed here: kinds, ids, counts and error codes only. */
  log?: (line: string) => void;
}

/** How long a claimed row stays invisible to other dispatchers (longer than any send's timeouts). */
export const LEASE_SECONDS = 60;

/**
 * The notification dispatcher: a loop in the worker process that sends the outbox's due rows.
 * Several may run at once (the claims skip each other's rows). Each turn sends the due
 * transactional rows first and only then expands a campaign batch or sends bulk rows, a few at
 * a time within the bulk rate, so a win, a pay link or a claim code never waits behind the
 * waitlist. At least once: a row is marked only after the SMTP server answered; its Message-ID
 * is the same on every attempt.
 */
export class NotificationDispatcher {
  private readonly templates: EmailTemplates;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private tokens = 0;
  private lastRefill = Date.now();
  private readonly o: Required<Omit<DispatcherOptions, 'templates'>>;

  constructor(opts: DispatcherOptions) {
    this.templates = opts.templates ?? new EmailTemplates();
    this.o = {
      bulkPerSecond: 50,
      maxAttempts: 250,
      retryCapMs: 30_000,
      batchSize: 20,
      campaignBatch: 2000,
      idleMs: 250,
      log: () => {},
      ...opts,
    };
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Finishes the sends in flight, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await this.turn();
      } catch (err) {
        // The database is away for a moment: the rows wait in the outbox.
        this.o.log(`notification dispatcher: ${(err as Error).message}`);
      }
      if (!worked && !this.stopping) await this.pause(this.o.idleMs);
    }
  }

  /** One turn: transactional first; else one campaign step; else some bulk rows. Whether anything was done. */
  async turn(): Promise<boolean> {
    const transactional = await claimDueMessages(this.o.db, 'transactional', this.o.batchSize, LEASE_SECONDS);
    if (transactional.length > 0) {
      await Promise.all(transactional.map((row) => this.deliver(row)));
      return true;
    }
    const step = await expandCampaignBatch(this.o.db, this.o.campaignBatch);
    if (step) {
      if (step.done) this.o.log(`notification dispatcher: ${step.kind} of ${step.dropId} expanded`);
      return true;
    }
    this.refill();
    // About a fifth of a second's worth at a time: the next turn looks at the transactional lane again soon.
    const room = Math.min(Math.floor(this.tokens), Math.max(1, Math.ceil(this.o.bulkPerSecond / 5)), this.o.batchSize);
    if (room < 1) {
      await this.pause(Math.min(this.o.idleMs, Math.ceil(1000 / this.o.bulkPerSecond)));
      return true;
    }
    const bulk = await claimDueMessages(this.o.db, 'bulk', room, LEASE_SECONDS);
    this.tokens -= bulk.length;
    await Promise.all(bulk.map((row) => this.deliver(row)));
    return bulk.length > 0;
  }

  private refill() {
    const now = Date.now();
    // At most one second's worth saved up: a quiet minute does not become a burst.
    this.tokens = Math.min(Math.max(1, this.o.bulkPerSecond), this.tokens + ((now - this.lastRefill) / 1000) * this.o.bulkPerSecond);
    this.lastRefill = now;
  }

  /** Sends one claimed row and records the outcome; a failure is retried after a backoff. */
  private async deliver(row: NotificationRow): Promise<void> {
    try {
      const prepared = await prepareMessage(this.o.db, this.o.secrets, this.o.publicUrl, row);
      if (prepared.action === 'skip') return await finishMessage(this.o.db, row.notification_id, 'skipped', prepared.reason);
      if (prepared.action === 'reschedule') return await rescheduleMessage(this.o.db, row.notification_id, prepared.at);
      const kind = row.kind as MessageKind;
      const email = this.templates.render(kind, prepared.view);
      const outcome = await this.o.sender.send({
        messageId: messageIdFor(row.message_key),
        to: prepared.to,
        ...email,
        headers: { 'X-Drops-Kind': kind },
      });
      if (outcome.outcome === 'delivered') await finishMessage(this.o.db, row.notification_id, 'delivered');
      else {
        this.o.log(`notification ${row.notification_id} (${kind}) bounced`);
        await finishMessage(this.o.db, row.notification_id, 'bounced', outcome.reason);
      }
    } catch (err) {
      // Stored and perhaps logged: never with the address an SMTP answer may quote.
      const reason = withoutAddresses((err as Error).message).slice(0, 300);
      if (row.attempts >= this.o.maxAttempts) {
        this.o.log(`notification ${row.notification_id} (${row.kind}) failed after ${row.attempts} attempts: ${reason}`);
        await finishMessage(this.o.db, row.notification_id, 'failed', reason).catch(() => {});
      } else {
        await retryMessageAt(this.o.db, row.notification_id, new Date(Date.now() + backoffMs(row.attempts, this.o.retryCapMs)), reason).catch(() => {});
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * The pause after the `attempt`-th failed attempt: 1 s doubling up to `capMs`, "equal jitter"
 * (between half and all of it) so a thousand rows failed together do not come back together.
 */
export function backoffMs(attempt: number, capMs: number): number {
  const full = Math.min(capMs, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + Math.random() * (full / 2));
}
