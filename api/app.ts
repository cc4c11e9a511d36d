import express from 'express';
import { errorMiddleware, notFoundRoute } from './errors';
import { storableJson, storableQuery } from './text-guard';
import { readiness } from '../src/services/health';
import { dropRoutes } from './routes/drop';
import { entryRoutes } from './routes/registration';
import { supportRoutes } from './routes/support';
import { auditRoutes } from './routes/audit';
import { webhookRoutes } from './routes/webhooks';
import { pageRoutes } from './routes/pages';
import { openApiJson } from './openapi/document';
import type { ServiceDeps } from '../src/services/deps';
import { EntryIntakeQueue, type IntakeQueueOptions } from '../src/services/registration/intake/intake-queue';

export type AppDeps = Omit<ServiceDeps, 'intake'> & {
  /** The intake thread opens its own pool to this database. */
  databaseUrl: string;
  intakeOptions?: Partial<IntakeQueueOptions>;
  /** Benchmarks only: a no-op JSON POST route, the intake benchmark's baseline on this same server. */
  benchNoopRoute?: boolean;
};

/** The thin HTTP layer: validate, authorise, call a service, map errors. */
export function createApp(appDeps: AppDeps): express.Express & { closeIntake(): Promise<void> } {
  const { intakeOptions, benchNoopRoute: _, databaseUrl, ...base } = appDeps;
  const intake = new EntryIntakeQueue({ databaseUrl, identitySecret: appDeps.secrets.identitySecret }, intakeOptions);
  const deps: ServiceDeps = { ...base, intake };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // API answers are not cached by ETag (receipts, states, records); hashing every body costs the hot path.
  app.set('etag', false);

  // The API contract (OpenAPI 3.1, from the zod schemas): built once, public like the docs it is.
  const openapi = openApiJson();
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  // Liveness: the process answers (no dependency is asked, so a database outage restarts nothing).
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  // Readiness: Postgres and Temporal both answer; 503 names the one that does not.
  app.get('/readyz', async (_req, res) => {
    const { ready, postgres, temporal } = await readiness(deps);
    res.status(ready ? 200 : 503).json({ postgres, temporal });
  });
  app.use(storableQuery);
  const json = storableJson(express.json({ limit: '64kb', strict: true }));
  if (appDeps.benchNoopRoute) {
    // First of all routes, with the same JSON parser: the fairest baseline for registration.
    app.post('/bench/noop', json, (_req, res) => {
      res.status(201).json({ ok: true });
    });
    // How busy this process's event loop has been since it started (the benchmark diffs two reads).
    app.get('/bench/loop', (_req, res) => {
      const { idle, active } = performance.eventLoopUtilization();
      res.json({ idle, active });
    });
  }
  // Registration first: it is the hot path, so it walks no other router's routes.
  app.use(entryRoutes(deps, json));
  // Before the JSON parser: webhooks need their raw bytes.
  app.use(webhookRoutes(deps));
  // The entrant's pages (HTML, token in the path) and their scripts: no body to parse.
  app.use(pageRoutes(deps));
  app.use(json);
  app.use(dropRoutes(deps));
  app.use(supportRoutes(deps));
  app.use(auditRoutes(deps));
  app.use(notFoundRoute);
  app.use(errorMiddleware);
  return Object.assign(app, { closeIntake: () => intake.close() });
}
