/** A tiny HTTP client for our own API, used by the demo, the scenario runner and tests. */
export class DropsApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly keys: { ops?: string; support?: string } = {},
  ) {}

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from over the wire, read field by field
  async call<T = any>(
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: unknown; rawBody?: string; as?: 'ops' | 'support'; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T }> {
    const key = opts.as ? this.keys[opts.as] : undefined;
    const hasBody = opts.body !== undefined || opts.rawBody !== undefined;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(hasBody && { 'content-type': 'application/json' }),
        ...(key && { authorization: `Bearer ${key}` }),
        ...opts.headers,
      },
      body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from over the wire, read field by field
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (HTML report, Markdown): keep the text
    }
    return { status: res.status, body };
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
