import express, { Router } from 'express';
import { WEBHOOK_PROVIDERS, handleWebhook } from '../../src/services/provider-events/webhooks';
import type { ServiceDeps } from '../../src/services/deps';

/** Provider callbacks: the raw body is kept, because the signature covers its exact bytes. */
export function webhookRoutes(deps: ServiceDeps): Router {
  const r = Router();
  for (const provider of WEBHOOK_PROVIDERS) {
    r.post(`/v1/webhooks/${provider}`, express.raw({ type: '*/*', limit: '256kb' }), async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.header('x-drops-signature') ?? req.header('stripe-signature');
      res.json(await handleWebhook(deps, provider, raw, signature));
    });
  }
  return r;
}
