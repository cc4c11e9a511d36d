import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';

/** One e-mail to one entrant. `messageId` is stable across retries (see messageIdFor). */
export interface EmailMessage {
  messageId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/**
 * What the SMTP server answered: accepted, or rejected for good (a 5xx: the address does not
 * exist, the mailbox refuses). A transient failure (connection refused, timeout, 4xx) is
 * thrown: the message is tried again later.
 */
export type SendOutcome = { outcome: 'delivered' } | { outcome: 'bounced'; reason: string };

export interface EmailSender {
  send(m: EmailMessage): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** `<{sha256(messageKey) hex, first 32}@drops.local>`: the same outbox row always has the same Message-ID. */
export function messageIdFor(messageKey: string): string {
  return `<${createHash('sha256').update(messageKey).digest('hex').slice(0, 32)}@drops.local>`;
}

/** nodemailer over `smtpUrl` (a pool of up to `maxConnections` connections, default 5). */
export class SmtpEmailSender implements EmailSender {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    opts: { maxConnections?: number } = {},
  ) {
    const url = new URL(smtpUrl);
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: opts.maxConnections ?? 5,
      host: url.hostname,
      port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
      secure: url.protocol === 'smtps:',
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      // Well under the dispatcher's one-minute lease (a hung send is retried, never sent beside a
      // second copy), and short: a server that stopped answering holds a batch, and the win and pay
      // messages behind it, seconds rather than half a minute (found by freezing Mailpit).
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 15_000,
    });
  }

  async send(m: EmailMessage): Promise<SendOutcome> {
    try {
      await this.transport.sendMail({ from: this.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId, headers: m.headers });
      return { outcome: 'delivered' };
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; response?: string };
      // A 5xx answer to the recipient or the message is final; a 5xx at the greeting or a
      // dropped connection is the server's trouble, not the address's: tried again.
      if (e.responseCode && e.responseCode >= 500 && e.responseCode < 600 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) {
        return { outcome: 'bounced', reason: redact(e.response ?? `SMTP ${e.responseCode}`, m.to) };
      }
      // The message names only the code: the server's words may quote the address.
      throw new Error(`SMTP send failed: ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** A server's answer may quote the address: it never reaches the outbox row or a log. */
function redact(text: string, address: string): string {
  return text.split(address).join('<recipient>').slice(0, 300);
}
