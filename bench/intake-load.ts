import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/**
 * The intake benchmark's load generator, in its own process so it does not share the API's
 * event loop. POSTs registrations (20% of them reusing an identity already sent) or the same
 * bodies to the no-op route; writes the entry ids it was acknowledged to a file.
 */
export async function runIntakeLoad(args: string[]): Promise<number> {
  const [url, path, seconds, connections, outFile] = args as [string, string, string, string, string];
  const identities: string[] = [];
  const acknowledged: string[] = [];
  // Per-request latency, measured here so that several rounds can be pooled into one percentile.
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const prefix = randomBytes(4).toString('hex');
  let sent = 0;
  const body = () => {
    let email: string;
    if (identities.length > 0 && Math.random() < 0.2) email = identities[Math.floor(Math.random() * identities.length)]!;
    else identities.push((email = `fan-${prefix}-${sent}@example.com`));
    sent++;
    return JSON.stringify({ email, region: ['north', 'south', 'east'][sent % 3] });
  };
  const result = await autocannon({
    url,
    connections: Number(connections),
    duration: Number(seconds),
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req, context: { sentAt?: number }) => {
          context.sentAt = performance.now();
          return { ...req, headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${prefix}-${sent}` }, body: body() };
        },
        onResponse: (status, resBody, context: { sentAt?: number }) => {
          if (context.sentAt !== undefined) latencies.push(performance.now() - context.sentAt);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 200 || status === 201) {
            const m = /"entryId":"([^"]+)"/.exec(resBody);
            if (m) acknowledged.push(m[1]!);
          }
        },
      },
    ],
  });
  const ok = (statuses['200'] ?? 0) + (statuses['201'] ?? 0);
  writeFileSync(
    outFile,
    JSON.stringify({
      ok,
      statuses,
      seconds: result.duration,
      p99Ms: result.latency.p99,
      p50Ms: result.latency.p50,
      errors: result.errors,
      timeouts: result.timeouts,
      acknowledged: [...new Set(acknowledged)],
      latencies: latencies.map((l) => Math.round(l * 10) / 10),
    }),
  );
  return 0;
}
