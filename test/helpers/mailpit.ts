import { eventually } from './context';

/** One message as Mailpit lists it. */
export interface MailpitSummary {
  ID: string;
  /** Without the angle brackets. */
  MessageID: string;
  To: Array<{ Name: string; Address: string }>;
  Subject: string;
  Created: string;
}

export interface MailpitMessage {
  id: string;
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Header name (as Mailpit spells it, e.g. `X-Drops-Kind`, `Message-Id`) → its values. */
  headers: Record<string, string[]>;
}

/**
 * A small client for Mailpit's HTTP API (https://mailpit.axllent.org/docs/api-v1/): list,
 * search by recipient, read one message (text, HTML, headers), wait for one, delete all.
 * `baseUrl`: Mailpit's web address (e.g. DROPS_TEST_MAILPIT_URL).
 */
export class MailpitClient {
  constructor(readonly baseUrl: string) {}

  private async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`);
    if (!res.ok) throw new Error(`Mailpit GET ${path}: ${res.status}`);
    return (await res.json()) as T;
  }

  /** Every message held, newest first (paged through). */
  async list(): Promise<MailpitSummary[]> {
    const all: MailpitSummary[] = [];
    for (let start = 0; ; start += 500) {
      const page = await this.get<{ total: number; messages: MailpitSummary[] }>(`/api/v1/messages?start=${start}&limit=500`);
      all.push(...page.messages);
      if (page.messages.length < 500) return all;
    }
  }

  /** Mailpit's search (`to:a@example.com`, `subject:"…"`, see its docs), every page. */
  async search(query: string): Promise<MailpitSummary[]> {
    const all: MailpitSummary[] = [];
    for (let start = 0; ; start += 500) {
      const page = await this.get<{ messages: MailpitSummary[] }>(`/api/v1/search?query=${encodeURIComponent(query)}&start=${start}&limit=500`);
      all.push(...page.messages);
      if (page.messages.length < 500) return all;
    }
  }

  /** The messages sent to `address`. */
  async to(address: string): Promise<MailpitSummary[]> {
    return (await this.search(`to:"${address}"`)).filter((m) => m.To.some((t) => t.Address.toLowerCase() === address.toLowerCase()));
  }

  async headers(id: string): Promise<Record<string, string[]>> {
    return this.get(`/api/v1/message/${encodeURIComponent(id)}/headers`);
  }

  /** One message's bodies and headers. */
  async read(id: string): Promise<MailpitMessage> {
    const [m, headers] = await Promise.all([
      this.get<{ ID: string; MessageID: string; To: Array<{ Address: string }>; Subject: string; Text: string; HTML: string }>(
        `/api/v1/message/${encodeURIComponent(id)}`,
      ),
      this.headers(id),
    ]);
    return { id: m.ID, messageId: m.MessageID, to: m.To.map((t) => t.Address), subject: m.Subject, text: m.Text, html: m.HTML, headers };
  }

  /** The messages among `list` whose header `name` has `value` (one read per message: for small sets). */
  async withHeader(name: string, value: string, among?: MailpitSummary[]): Promise<MailpitMessage[]> {
    const found: MailpitMessage[] = [];
    for (const s of among ?? (await this.list())) {
      const h = await this.headers(s.ID);
      const key = Object.keys(h).find((k) => k.toLowerCase() === name.toLowerCase());
      if (key && h[key]!.includes(value)) found.push(await this.read(s.ID));
    }
    return found;
  }

  /** Waits until a message to `address` satisfies `match` (default: any), and reads it. */
  async waitFor(address: string, match: (m: MailpitMessage) => boolean = () => true, timeoutMs = 60_000): Promise<MailpitMessage> {
    return eventually(
      `an e-mail to ${address}`,
      async () => {
        for (const s of await this.to(address)) {
          const m = await this.read(s.ID);
          if (match(m)) return m;
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  async deleteAll(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/api/v1/messages`, { method: 'DELETE' });
    if (!res.ok) throw new Error(`Mailpit DELETE /api/v1/messages: ${res.status}`);
  }
}

/** The link lines of a text body (each link is on its own line). */
export function linksIn(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^https?:\/\//.test(l));
}
