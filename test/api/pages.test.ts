import jsQR from 'jsqr';
import QRCode from 'qrcode';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { webcrypto } from 'node:crypto';
import { createApp } from '../../api/app';
import { PAGE_CSP } from '../../api/routes/pages';
import { entrantPagePath } from '../../src/domain/notification/links';
import { commitmentOf, entryKey, rankEntries } from '../../src/domain/draw/lottery';
import { verifyDrawRecord, type DrawRecord } from '../../src/domain/draw/record';
import { StripePaymentAdapter } from '../../src/integrations/stripe-payment-adapter';
import type { PaymentProvider } from '../../src/integrations/providers';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver, type Receipt } from '../helpers/drops';
import { attrOf, decodePng, tagOf, textOf } from '../helpers/html';

// The verify page's own script, run here under Node's WebCrypto (the browser test runs it in Chromium).
(globalThis as { crypto?: unknown }).crypto ??= webcrypto;
const verifyEntry = createRequire(__filename)('../../public/assets/verify-entry.js') as {
  checkTicket(t: unknown): Promise<{ state: string; problems: string[]; key: string | null; drawSeed: string | null; position: number | null }>;
};

/**
 * Issue 15, the entrant's pages: server-rendered by the API against a real stack (Postgres,
 * Temporal, the provider simulators). Each page for the states it shows, in the DOM the browser
 * test relies on (COMMON.md), the headers that keep the token in the path private, the verify
 * data against the reference lottery, and no token in a log line.
 */
describe("the entrant's pages", () => {
  let stack: TestStack;
  const drops = dropDriver(() => stack);
  const dropId = 'pages-drop';
  const receipts: Array<Receipt & { email: string }> = [];
  let winner: Receipt;
  let waitlisted: Receipt[];

  const page = async (path: string, init?: RequestInit) => {
    const res = await fetch(stack.apiUrl + path, { redirect: 'manual', ...init });
    return { res, html: await res.text() };
  };
  const pathOf = (r: Receipt, p?: 'pay' | 'claim' | 'verify') => entrantPagePath(dropId, r.entryId, r.receiptSecret, p);
  const ticket = (r: Receipt, headers: Record<string, string> = { 'x-receipt-secret': r.receiptSecret }, query = '') =>
    fetch(`${stack.apiUrl}/v1/drops/${dropId}/entries/${r.entryId}/ticket${query}`, { headers });

  /** Every page: the DOM contract's frame, and the headers that keep its token private. */
  const expectPageFrame = (res: Response, html: string) => {
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/<h1>[^<]+<\/h1>/);
    // No external resource: scripts only from /assets, no stylesheet or image from elsewhere.
    for (const m of html.matchAll(/<script\b[^>]*>/g)) expect(m[0]).toMatch(/src="\/assets\/[a-z-]+\.js"/);
    expect(html).not.toMatch(/<link\b|src="https?:|url\(/i);
  };
  /** No other entrant's entry id, token or e-mail, and not even this entrant's e-mail. */
  const expectOnlyOwnData = (html: string, own: Receipt) => {
    for (const r of receipts) {
      expect(html).not.toContain(r.email);
      if (r.entryId === own.entryId) continue;
      expect(html).not.toContain(r.entryId);
      expect(html).not.toContain(r.receiptSecret);
    }
  };

  beforeAll(async () => {
    stack = await startTestStack();
    await drops.launch(dropId, {
      windows: { paymentSeconds: 600, pickupSeconds: 900 },
      body: {
        name: 'Pages Drop',
        nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 1, name: 'North Station Lockers', address: '1 Station Square, North' }],
        policies: { missedPickup: 'credit' },
      },
    });
    for (const [i, timeZone] of ['Europe/Paris', undefined, 'America/New_York'].entries()) {
      const email = `pages-${i}@example.org`;
      const res = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email, region: 'north', ...(timeZone && { timeZone }) } });
      expect(res.status).toBe(201);
      receipts.push({ entryId: res.body.entryId, receiptSecret: res.body.receiptSecret, email });
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('before the draw', () => {
    it('the status page says registered, links to the verify page only, and shows nobody else', async () => {
      const { res, html } = await page(pathOf(receipts[0]!));
      expect(res.status).toBe(200);
      expectPageFrame(res, html);
      expect(textOf(html, 'entry-status')).toBe('registered');
      expect(tagOf(html, 'waitlist-position')).toBeUndefined();
      expect(tagOf(html, 'pay-link')).toBeUndefined();
      expect(tagOf(html, 'claim-link')).toBeUndefined();
      expect(attrOf(html, 'verify-link', 'href')).toBe(pathOf(receipts[0]!, 'verify'));
      expect(html).toContain('Pages Drop');
      expectOnlyOwnData(html, receipts[0]!);
    });

    it('the ticket has the commitment and no seed, key or position; the script says the draw has not happened', async () => {
      const res = await ticket(receipts[0]!);
      expect(res.status).toBe(200);
      const t: any = await res.json();
      expect(t).toMatchObject({
        algorithm: 'drops-lottery-v1',
        dropId,
        entryId: receipts[0]!.entryId,
        weight: 1,
        seed: null,
        drawSeed: null,
        key: null,
        position: null,
      });
      expect(t.commitment).toMatch(/^[0-9a-f]{64}$/);
      expect((await verifyEntry.checkTicket(t)).state).toBe('pending');
      const { html } = await page(pathOf(receipts[0]!, 'verify'));
      expect(textOf(html, 'commitment')).toBe(t.commitment);
    });

    it('a wrong token and an unknown entry get the same 404 page; a short or unknown path under /entrant too', async () => {
      const wrong = await page(entrantPagePath(dropId, receipts[0]!.entryId, receipts[1]!.receiptSecret));
      const unknown = await page(entrantPagePath(dropId, 'e0000000000000000000000000', receipts[0]!.receiptSecret));
      const otherDrop = await page(entrantPagePath('no-such-drop', receipts[0]!.entryId, receipts[0]!.receiptSecret, 'claim'));
      for (const { res, html } of [wrong, unknown, otherDrop]) {
        expect(res.status).toBe(404);
        expectPageFrame(res, html);
        expect(html).toBe(wrong.html);
      }
      for (const p of [`/entrant/${dropId}/${receipts[0]!.entryId}`, `${pathOf(receipts[0]!)}/nothing-here`]) {
        const { res, html } = await page(p);
        expect(res.status).toBe(404);
        expect(html).toBe(wrong.html);
      }
    });

    it('the ticket route takes the secret from its header only: 400 secret_in_query, and 404 for a wrong one', async () => {
      const inQuery = await ticket(receipts[0]!, {}, `?secret=${receipts[0]!.receiptSecret}`);
      expect(inQuery.status).toBe(400);
      expect(((await inQuery.json()) as any).error.code).toBe('secret_in_query');
      expect((await ticket(receipts[0]!, { 'x-receipt-secret': receipts[1]!.receiptSecret })).status).toBe(404);
      expect((await ticket(receipts[0]!, {})).status).toBe(404);
      // A token by another name in the query is refused too, on the JSON status route and on every page.
      const r = receipts[0]!;
      const status = await fetch(`${stack.apiUrl}/v1/drops/${dropId}/entries/${r.entryId}?token=${r.receiptSecret}`, {
        headers: { 'x-receipt-secret': r.receiptSecret },
      });
      expect(status.status).toBe(400);
      for (const suffix of ['', '/pay', '/claim', '/verify']) {
        const { res, html } = await page(`${pathOf(r)}${suffix}?secret=${r.receiptSecret}`);
        expect(res.status).toBe(400);
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(html).not.toContain(r.receiptSecret);
      }
    });

    it('serves the scripts as JavaScript, and nothing else under /assets', async () => {
      for (const name of ['countdown.js', 'verify-entry.js']) {
        const res = await fetch(`${stack.apiUrl}/assets/${name}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      }
      expect((await fetch(`${stack.apiUrl}/assets/..%2Fpackage.json`)).status).toBe(404);
      expect((await fetch(`${stack.apiUrl}/assets/render.ts`)).status).toBe(404);
    });
  });

  describe('after the draw', () => {
    beforeAll(async () => {
      expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
      const statuses = await eventually('the draw', async () => {
        const all = await Promise.all(receipts.map((r) => drops.status(dropId, r)));
        return all.every((s) => s.status !== 'registered') ? all : undefined;
      });
      winner = receipts[statuses.findIndex((s) => s.status === 'won')]!;
      waitlisted = receipts.filter((r) => r !== winner);
      await drops.orderIn(dropId, winner, ['awaiting_payment']);
    });

    it("each ticket is the reference lottery's, and the page's script verifies it", async () => {
      const record = (await stack.api.call('GET', `/v1/drops/${dropId}/draw`)).body as DrawRecord;
      expect(verifyDrawRecord(record).ok).toBe(true);
      const ranked = rankEntries({ dropId, seed: record.seed, beacon: record.beacon, entries: record.entries });
      for (const r of receipts) {
        const t: any = await (await ticket(r)).json();
        expect(commitmentOf(t.seed)).toBe(t.commitment);
        expect(t).toMatchObject({
          seed: record.seed,
          commitment: record.commitment,
          entrantsDigest: ranked.entrantsDigest,
          drawSeed: ranked.drawSeed,
          key: entryKey(ranked.drawSeed, dropId, { entryId: r.entryId, weight: 1 }),
          position: ranked.ranking.indexOf(r.entryId),
          entrants: 3,
        });
        // Small: this entry's slice only, never another entrant's id.
        for (const other of receipts.filter((o) => o !== r)) expect(JSON.stringify(t)).not.toContain(other.entryId);
        const checked = await verifyEntry.checkTicket(t);
        expect(checked).toMatchObject({ state: 'verified', problems: [], key: t.key, drawSeed: t.drawSeed });
        // A tampered answer is caught.
        expect((await verifyEntry.checkTicket({ ...t, key: t.key.replace(/^./, (c: string) => (c === '0' ? '1' : '0')) })).state).toBe('mismatch');
        expect((await verifyEntry.checkTicket({ ...t, seed: t.seed.replace(/^./, (c: string) => (c === '0' ? '1' : '0')) })).problems[0]).toMatch(/commitment/);
      }
      const { res, html } = await page(pathOf(winner, 'verify'));
      expectPageFrame(res, html);
      expect(html).toContain('<script src="/assets/verify-entry.js" defer></script>');
      expect(textOf(html, 'verify-result')).toBeDefined();
      expect(tagOf(html, 'ticket-key')).toBeDefined();
      expect(tagOf(html, 'draw-position')).toBeDefined();
      expect(html).toContain(`drops verify-draw ${dropId} --api`);
      expect(textOf(html, 'verify-command-hint')).toMatch(/project's own CLI.*npx drops verify-draw/);
      // The script reads the token from the page's path: the HTML holds it only in the link back to the status page.
      expect(html.split(winner.receiptSecret).length - 1).toBe(1);
      expect(html).toContain(`href="${pathOf(winner)}"`);
    });

    it('the waitlisted see their place on the waitlist; the winner sees won, the price, the deadline and the pay link', async () => {
      const places: number[] = [];
      for (const r of waitlisted) {
        const { res, html } = await page(pathOf(r));
        expectPageFrame(res, html);
        expect(textOf(html, 'entry-status')).toBe('waitlisted');
        places.push(Number(textOf(html, 'waitlist-position')));
        expect(tagOf(html, 'pay-link')).toBeUndefined();
        expectOnlyOwnData(html, r);
      }
      expect(places.sort()).toEqual([1, 2]);

      const { res, html } = await page(pathOf(winner));
      expectPageFrame(res, html);
      expect(textOf(html, 'entry-status')).toBe('won');
      expect(attrOf(html, 'pay-link', 'href')).toBe(pathOf(winner, 'pay'));
      expect(tagOf(html, 'claim-link')).toBeUndefined();
      const order = (await drops.status(dropId, winner)).order;
      expect(attrOf(html, 'pay-deadline', 'datetime')).toBe(order.payDeadline);
      expect(html).toContain('$15.00');
      expectOnlyOwnData(html, winner);
    });

    it("Stripe mode: the pay page redirects (303) to the order's own pay link, not a Checkout Session with an intent of its own", async () => {
      const stripe = new StripePaymentAdapter({
        secretKey: 'sk_test_123',
        apiBase: process.env.DROPS_TEST_STRIPE_MOCK_URL!,
        payPageUrl: 'https://pay.example.test/',
      });
      await withApp(stripe, async (base) => {
        const res = await fetch(base + pathOf(winner, 'pay'), { redirect: 'manual' });
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe((await drops.status(dropId, winner)).order.payLink);
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      });
    });

    it('the simulator pay page posts to the hosted checkout, which answers with a page; then the pay page says there is nothing to pay', async () => {
      const { res, html } = await page(pathOf(winner, 'pay'));
      expect(res.status).toBe(200);
      expectPageFrame(res, html);
      expect(html).toContain('$15.00');
      const order = (await drops.status(dropId, winner)).order;
      const form = /<form method="post" action="([^"]+)">/.exec(html);
      expect(form && form[1]!.replace(/&#x3D;/g, '=')).toBe(order.payLink);
      expect(tagOf(html, 'pay-button')).toMatch(/type="submit"/);
      // A waitlisted entrant has nothing to pay.
      expect(tagOf((await page(pathOf(waitlisted[0]!, 'pay'))).html, 'pay-closed')).toBeDefined();

      // What the browser does with the button: a form post to the simulator's checkout.
      const paid = await fetch(order.payLink, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'outcome=pay' });
      expect(paid.status).toBe(200);
      const result = await paid.text();
      expect(result).toMatch(/<html lang="en">/);
      expect(attrOf(result, 'payment-result', 'data-result')).toBe('paid');
      await drops.orderIn(dropId, winner, ['awaiting_pickup']);
      const after = await page(pathOf(winner, 'pay'));
      expect(after.res.status).toBe(200);
      expect(textOf(after.html, 'pay-closed')).toMatch(/nothing to pay/);
      // The simulator's own checkout page, opened from the link: it says it is paid.
      expect(attrOf(await (await fetch(order.payLink)).text(), 'payment-result', 'data-result')).toBe('paid');
    });

    it('the claim page shows the QR of the claim code, the node, the expiry in the entrant zone, a live countdown and the policy; the code opens the locker', async () => {
      const order = (await drops.status(dropId, winner)).order;
      const status = await page(pathOf(winner));
      expect(attrOf(status.html, 'claim-link', 'href')).toBe(pathOf(winner, 'claim'));

      const { res, html } = await page(pathOf(winner, 'claim'));
      expect(res.status).toBe(200);
      expectPageFrame(res, html);
      expect(textOf(html, 'claim-code')).toBe(order.claimCode);
      expect(textOf(html, 'node-name')).toBe('North Station Lockers');
      expect(textOf(html, 'node-address')).toBe('1 Station Square, North');
      expect(attrOf(html, 'claim-expiry', 'datetime')).toBe(order.pickupDeadline);
      expect(textOf(html, 'countdown')).toMatch(/^\d+ (h|min) \d+ (min|s) left$/);
      expect(html).toContain('<script src="/assets/countdown.js" defer></script>');
      expect(textOf(html, 'missed-policy')).toMatch(/store credit/);
      const zone = winner === receipts[0] ? /GMT\+[12]|CES?T/ : winner === receipts[2] ? /[EG]MT|[ED][SD]T|GMT-[45]/ : /UTC/;
      expect(textOf(html, 'claim-expiry')).toMatch(zone);

      const img = tagOf(html, 'claim-qr')!;
      expect(img).toMatch(/^<img /);
      expect(attrOf(html, 'claim-qr', 'alt')).toBe('QR code of your claim code');
      const src = attrOf(html, 'claim-qr', 'src')!;
      expect(src).toMatch(/^data:image\/png;base64,/);
      const { width, height, data } = decodePng(Buffer.from(src.slice('data:image/png;base64,'.length), 'base64'));
      expect(jsQR(data, width, height)?.data).toBe(order.claimCode);
      // And the modules are the qrcode package's own for the code (what a scanner reads, whatever the scale).
      const modules = QRCode.create(order.claimCode, { errorCorrectionLevel: 'M' }).modules;
      const scale = (width - 2 * 4 * 6) / modules.size;
      expect(scale).toBe(6);
      for (let y = 0; y < modules.size; y++) {
        for (let x = 0; x < modules.size; x++) {
          const px = ((4 * 6 + y * 6 + 3) * width + (4 * 6 + x * 6 + 3)) * 4;
          expect({ x, y, dark: data[px]! < 128 }).toEqual({ x, y, dark: Boolean(modules.get(y, x)) });
        }
      }
      expectOnlyOwnData(html, winner);

      // Nothing to claim for the waitlisted: a page that says so, with the policy.
      const other = await page(pathOf(waitlisted[0]!, 'claim'));
      expect(tagOf(other.html, 'claim-unavailable')).toBeDefined();
      expect(tagOf(other.html, 'claim-qr')).toBeUndefined();

      const opened = await fetch(`${stack.providerUrl}/lockers/north-locker/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ claim_code: jsQR(data, width, height)!.data }),
      });
      expect(opened.status).toBe(200);
      await drops.orderIn(dropId, winner, ['picked_up']);
      expect(textOf((await page(pathOf(winner, 'claim'))).html, 'claim-unavailable')).toMatch(/picked up/i);
    });

    it('an unexpected error on a page answers a 500 page and logs the route template, never the token', async () => {
      const logged: string[] = [];
      const spies = (['error', 'warn', 'log', 'info'] as const).map((level) =>
        jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))),
      );
      try {
        // A database whose reads fail in a way that is not an outage: a bug, as far as the route can tell.
        const broken = new Proxy(stack.db, {
          get: (target, prop, receiver) =>
            prop === 'selectFrom'
              ? () => {
                  throw new Error('boom: a bug in a query');
                }
              : Reflect.get(target, prop, receiver),
        });
        await withApp(
          {} as PaymentProvider,
          async (base) => {
            for (const p of ['pay', 'claim', 'verify', undefined] as const) {
              const res = await fetch(base + pathOf(winner, p));
              expect(res.status).toBe(500);
              const html = await res.text();
              expect(html).toMatch(/<h1>/);
              expect(html).not.toContain('boom');
            }
            const res = await fetch(`${base}/v1/drops/${dropId}/entries/${winner.entryId}/ticket`, { headers: { 'x-receipt-secret': winner.receiptSecret } });
            expect(res.status).toBe(500);
          },
          broken,
        );
      } finally {
        for (const s of spies) s.mockRestore();
      }
      const all = logged.join('\n');
      expect(all).toContain('boom: a bug in a query');
      expect(all).toContain('/entrant/:dropId/:entryId/:token');
      expect(all).not.toContain(winner.receiptSecret);
      expect(all).not.toContain(encodeURIComponent(winner.receiptSecret));
    });
  });

  /** A second app on the same database (another payment adapter, or a broken database), for one test. */
  async function withApp(payments: PaymentProvider, body: (base: string) => Promise<void>, db = stack.db) {
    const app = createApp({ db, databaseUrl: stack.databaseUrl, temporal: stack.client, taskQueue: stack.taskQueue, secrets: stack.secrets, payments });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const address = server.address();
      await body(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await app.closeIntake();
    }
  }
});
