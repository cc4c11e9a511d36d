import express from 'express';
import { errorMiddleware, notFoundRoute } from './errors';
import { dropRoutes } from './routes/drops';
import { entryRoutes } from './routes/entries';
import { supportRoutes } from './routes/support';
import { webhookRoutes } from './routes/webhooks';
import type { ServiceDeps } from '../src/services/deps';

export type AppDeps = ServiceDeps;

/** The thin HTTP layer: validate, authorise, call a service, map errors. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  // Before the JSON parser: webhooks need their raw bytes.
  app.use(webhookRoutes(deps));
  app.use(express.json({ limit: '64kb', strict: true }));
  app.use(dropRoutes(deps));
  app.use(entryRoutes(deps));
  app.use(supportRoutes(deps));
  app.use(notFoundRoute);
  app.use(errorMiddleware);
  return app;
}
