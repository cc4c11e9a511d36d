import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInput, toApiError } from '../errors';
import { dropIdParam } from '../schemas';
import { guardPathParams } from '../text-guard';
import { hasSecretInQuery, refuseSecretInQuery } from '../secret-query';
import { readEnvConfig } from '../../src/config';
import type { ServiceDeps } from '../../src/services/deps';
import { entryTicket } from '../../src/services/draw/entry-ticket';
import { claimPageView, payPageView, statusPageView, verifyPageView } from '../../src/services/pages/entrant-pages';
import { renderPage } from '../../src/services/pages/render';

/** The pages' own policy: nothing from elsewhere, scripts only from /assets, images only inline (the QR code). */
export const PAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'";

/** The scripts the pages load, read once at startup: a fixed list, so no path reaches the file system. */
const ASSETS_DIR = join(__dirname, '..', '..', 'public', 'assets');
const ASSETS = new Map(['countdown.js', 'verify-entry.js'].map((name) => [name, readFileSync(join(ASSETS_DIR, name))]));

/** Every entrant page: the token is in the path, so no cache keeps it, no Referer carries it, and no frame shows it. */
function pageHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
}

function sendPage(res: Response, status: number, html: string): void {
  pageHeaders(res);
  res.status(status).type('text/html; charset=utf-8').send(html);
}

const notFoundPage = (res: Response) => sendPage(res, 404, renderPage('not-found', { title: 'Page not found' }));

/** Where the API (and so these pages) is reached from outside: DROPS_PUBLIC_API_URL, else this request's own origin. */
function publicBase(configured: string | undefined, req: Request): string {
  return (configured ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
}

/**
 * The entrant's public pages (issue 15): server-rendered HTML from templates/pages, the receipt
 * token in the path (`/entrant/:dropId/:entryId/:token[/pay|/claim|/verify]`, see
 * src/domain/notification/links.ts), and the small JSON ticket the verify page checks. A wrong
 * token and an unknown entry get the same 404 page. Nothing here logs a path: the token is in it.
 */
export function pageRoutes(deps: ServiceDeps): Router {
  const r = guardPathParams(Router());
  let configuredBase: string | undefined;
  try {
    configuredBase = readEnvConfig().DROPS_PUBLIC_API_URL;
  } catch {
    configuredBase = undefined;
  }
  // The token belongs in the path; a secret or token in a query string (which access logs, proxies
  // and browser history keep) is refused before anything is read, as on the JSON routes.
  r.use('/entrant', (req, res, next) => {
    if (!hasSecretInQuery(req)) return next();
    sendPage(
      res,
      400,
      renderPage('error', {
        title: 'Something went wrong',
        heading: 'This link does not work',
        message: 'Open the link from your e-mail as it is: it never carries a secret after a "?".',
      }),
    );
  });
  const ids = (req: Request) => ({ ...parseInput(dropIdParam, req.params), entryId: String(req.params.entryId), token: String(req.params.token) });

  r.get('/entrant/:dropId/:entryId/:token', async (req, res) => {
    const { dropId, entryId, token } = ids(req);
    sendPage(res, 200, renderPage('status', await statusPageView(deps, dropId, entryId, token)));
  });

  r.get('/entrant/:dropId/:entryId/:token/pay', async (req, res) => {
    const { dropId, entryId, token } = ids(req);
    const page = await payPageView(deps, dropId, entryId, token);
    if (page.kind === 'redirect') {
      pageHeaders(res);
      return res.redirect(303, page.url);
    }
    sendPage(res, 200, renderPage('pay', page.view));
  });

  r.get('/entrant/:dropId/:entryId/:token/claim', async (req, res) => {
    const { dropId, entryId, token } = ids(req);
    const view = await claimPageView(deps, dropId, entryId, token);
    sendPage(res, 200, renderPage('claim', { ...view, scripts: view.claim ? ['/assets/countdown.js'] : [] }));
  });

  r.get('/entrant/:dropId/:entryId/:token/verify', async (req, res) => {
    const { dropId, entryId, token } = ids(req);
    sendPage(res, 200, renderPage('verify', await verifyPageView(deps, dropId, entryId, token, publicBase(configuredBase, req))));
  });

  /** The verify page's data: this entry's slice of the draw, with the receipt secret in `x-receipt-secret` (never the query). */
  r.get('/v1/drops/:dropId/entries/:entryId/ticket', async (req, res) => {
    const { dropId } = parseInput(dropIdParam, req.params);
    refuseSecretInQuery(req);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await entryTicket(deps, dropId, String(req.params.entryId), req.header('x-receipt-secret')));
  });

  r.get('/assets/:name', (req, res) => {
    const body = ASSETS.get(String(req.params.name));
    if (!body) return void res.status(404).type('text/plain; charset=utf-8').send('no such asset\n');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('text/javascript; charset=utf-8').send(body);
  });

  // Any other path under /entrant (a page that does not exist, a token cut short): the same 404 page.
  r.use('/entrant', ((_req, res) => notFoundPage(res)) as RequestHandler);

  // The pages' errors are pages; the ticket route's stay JSON (the app's error middleware).
  const pageErrors: ErrorRequestHandler = (err, req, res, next) => {
    if (!req.path.startsWith('/entrant/')) return next(err);
    const e = toApiError(err);
    if (e?.status === 404) return notFoundPage(res);
    if (!e) {
      // The route template, never the path: the path holds the entrant's token.
      console.error(`[pages] unexpected error on ${req.method} ${req.route?.path ?? '/entrant/…'}: ${(err as Error)?.stack ?? String(err)}`);
    }
    if (e?.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
    const status = e?.status ?? 500;
    const message =
      status >= 500
        ? 'Something went wrong on our side. Nothing about your entry has changed: try again in a minute.'
        : (e?.message ?? 'This request could not be read.');
    sendPage(
      res,
      status,
      renderPage('error', { title: 'Something went wrong', heading: status >= 500 ? 'Please try again' : 'This link does not work', message }),
    );
  };
  r.use(pageErrors);
  return r;
}
