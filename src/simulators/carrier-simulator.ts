import express, { Router } from 'express';
import { randomBytes } from 'node:crypto';
import { Faults } from './faults';
import type { WebhookSender, WebhookTarget } from './webhook-sender';

/**
 * SIMULATOR — one parcel carrier: rates, label purchase (no idempotency key, as with most
 * carriers), void, and tracking events by signed webhook. Each carrier has its own fault
 * profile, so one can be down (`faults.set({ down: true })`) while the other works.
 */

export interface SimLabel {
  labelId: string;
  carrier: string;
  trackingNumber: string;
  orderId: string;
  /** Our ids, as we sent them with the purchase (Stripe-style metadata), echoed in every event. */
  metadata: Record<string, string>;
  fromNode: string;
  toRegion: string;
  amount: number;
  voided: boolean;
  tracking: 'label_created' | 'in_transit' | 'delivered';
}

const stringValues = (v: unknown): Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) : {};

const TRACKING_STEPS: Array<SimLabel['tracking']> = ['in_transit', 'delivered'];

export class CarrierSimulator {
  readonly labels = new Map<string, SimLabel>();
  readonly faults: Faults;
  webhookTarget?: WebhookTarget;
  /** Delay between tracking events, per step. */
  trackingStepMs = 300;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly carrierId: string,
    seed: number,
    private readonly webhooks: WebhookSender,
    private readonly ratePerRegionCents = 700,
  ) {
    this.faults = new Faults(seed);
  }

  private wire(l: SimLabel) {
    return { labelId: l.labelId, carrier: l.carrier, trackingNumber: l.trackingNumber, amount: l.amount, voided: l.voided, tracking: l.tracking };
  }

  private scheduleTracking(label: SimLabel) {
    TRACKING_STEPS.forEach((step, i) => {
      const t = setTimeout(
        () => {
          this.timers.delete(t);
          if (label.voided) return;
          label.tracking = step;
          this.webhooks.send(
            this.webhookTarget,
            {
              id: `evt_${randomBytes(12).toString('hex')}`,
              type: `tracking.${step}`,
              data: {
                carrier: this.carrierId,
                label_id: label.labelId,
                tracking_number: label.trackingNumber,
                order_id: label.orderId,
                metadata: label.metadata,
                status: step,
              },
            },
            this.faults,
          );
        },
        this.trackingStepMs * (i + 1),
      );
      this.timers.add(t);
    });
  }

  router(): Router {
    const r = Router();
    r.use(express.json(), this.faults.middleware());

    r.get('/rates', (req, res) => {
      const toRegion = String(req.query.to_region ?? '');
      if (!toRegion) return void res.status(400).json({ error: { message: 'to_region is required' } });
      res.json({ rates: [{ carrier: this.carrierId, service: 'standard', amount: this.ratePerRegionCents, currency: 'usd', days: 2 }] });
    });

    r.get('/labels', (req, res) => {
      const orderId = String(req.query.order_id ?? '');
      const labels = [...this.labels.values()].filter((l) => l.orderId === orderId && !l.voided);
      res.json({ labels: labels.map((l) => this.wire(l)) });
    });

    r.post('/labels', (req, res) => {
      const { order_id: orderId, from_node: fromNode, to_region: toRegion, metadata } = req.body ?? {};
      if (typeof orderId !== 'string' || typeof fromNode !== 'string' || typeof toRegion !== 'string') {
        return void res.status(400).json({ error: { message: 'order_id, from_node and to_region are required' } });
      }
      const label: SimLabel = {
        labelId: `lbl_${randomBytes(10).toString('hex')}`,
        carrier: this.carrierId,
        trackingNumber: `${this.carrierId.toUpperCase()}${randomBytes(6).toString('hex').toUpperCase()}`,
        orderId,
        metadata: { ...stringValues(metadata), order_id: orderId },
        fromNode,
        toRegion,
        amount: this.ratePerRegionCents,
        voided: false,
        tracking: 'label_created',
      };
      this.labels.set(label.labelId, label);
      this.scheduleTracking(label);
      res.json(this.wire(label));
    });

    r.post('/labels/:labelId/void', (req, res) => {
      const label = this.labels.get(req.params.labelId);
      if (!label) return void res.status(404).json({ error: { message: 'no such label' } });
      if (label.tracking !== 'label_created' && !label.voided) {
        return void res.status(400).json({ error: { code: 'label_in_use', message: 'the parcel is already moving' } });
      }
      label.voided = true;
      res.json(this.wire(label));
    });

    return r;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
