import express, { Router } from 'express';
import { randomBytes } from 'node:crypto';
import { LOCKER_RESERVATION_MAX_SECONDS } from '../domain/order/pickup-window';
import type { Crowd } from './crowd';
import { Faults } from './faults';
import { IdempotencyStore } from './idempotency';
import type { WebhookSender, WebhookTarget } from './webhook-sender';

/**
 * SIMULATOR — a locker network: reserve a compartment at a node for a claim code we issue
 * (for at most LOCKER_RESERVATION_MAX_SECONDS), open it once with that code before it expires, pickup and expiry events by signed webhook,
 * release. The locker enforces single use and expiry; we check both again on our side.
 */

export interface SimReservation {
  reservationId: string;
  nodeId: string;
  orderId: string;
  /** Our ids, as we sent them with the reservation, echoed in every event. */
  metadata: Record<string, string>;
  compartment: string;
  claimCode: string;
  expiresAt: string;
  status: 'reserved' | 'picked_up' | 'expired' | 'released';
}

export class LockerSimulator {
  readonly reservations = new Map<string, SimReservation>();
  private readonly byCode = new Map<string, SimReservation>();
  readonly faults: Faults;
  webhookTarget?: WebhookTarget;
  private readonly idempotency = new IdempotencyStore();
  private readonly timers = new Set<NodeJS.Timeout>();
  private compartments = 0;
  /** Simulated entrants who come to the locker by themselves (benchmarks, load tests). */
  crowd?: Crowd;

  constructor(
    seed: number,
    private readonly webhooks: WebhookSender,
  ) {
    this.faults = new Faults(seed);
  }

  private emit(type: string, r: SimReservation) {
    this.webhooks.send(
      this.webhookTarget,
      {
        id: `evt_${randomBytes(12).toString('hex')}`,
        type,
        data: {
          reservation_id: r.reservationId,
          node_id: r.nodeId,
          order_id: r.orderId,
          metadata: r.metadata,
          claim_code: r.claimCode,
          compartment: r.compartment,
        },
      },
      this.faults,
    );
  }

  private wire(r: SimReservation) {
    const { claimCode: _secret, ...rest } = r;
    return rest;
  }

  /** The locker network's API, called by our adapter: behind fault injection. */
  apiRouter(): Router {
    const r = Router();
    r.use(express.json(), this.faults.middleware());

    r.post('/reservations', (req, res) =>
      this.idempotency.handle(req, res, 'reservations', () => {
        const { node_id: nodeId, order_id: orderId, expires_at: expiresAt, claim_code: claimCode, metadata } = req.body ?? {};
        if (typeof nodeId !== 'string' || typeof orderId !== 'string' || typeof claimCode !== 'string' || !Number.isFinite(Date.parse(expiresAt))) {
          return { status: 400, body: { error: { message: 'node_id, order_id, claim_code and expires_at are required' } } };
        }
        if (Date.parse(expiresAt) - Date.now() > LOCKER_RESERVATION_MAX_SECONDS * 1000) {
          return { status: 400, body: { error: { message: `a reservation lasts at most ${LOCKER_RESERVATION_MAX_SECONDS} seconds` } } };
        }
        this.compartments += 1;
        const rsv: SimReservation = {
          reservationId: `rsv_${randomBytes(10).toString('hex')}`,
          nodeId,
          orderId,
          metadata: {
            ...(typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
              ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)]))
              : {}),
            order_id: orderId,
          },
          compartment: `C${this.compartments}`,
          claimCode,
          expiresAt: new Date(expiresAt).toISOString(),
          status: 'reserved',
        };
        this.reservations.set(rsv.reservationId, rsv);
        this.byCode.set(claimCode, rsv);
        const t = setTimeout(
          () => {
            this.timers.delete(t);
            if (rsv.status !== 'reserved') return;
            rsv.status = 'expired';
            this.emit('reservation.expired', rsv);
          },
          Math.max(0, Date.parse(rsv.expiresAt) - Date.now()),
        );
        this.timers.add(t);
        if (this.crowd?.picksUp()) this.crowd.later(() => this.open(rsv.nodeId, rsv.claimCode));
        return { status: 200, body: this.wire(rsv) };
      }),
    );

    r.post('/reservations/:id/release', (req, res) => {
      const rsv = this.reservations.get(req.params.id);
      if (!rsv) return void res.status(404).json({ error: { message: 'no such reservation' } });
      if (rsv.status === 'reserved' || rsv.status === 'expired') rsv.status = 'released';
      res.json(this.wire(rsv));
    });

    return r;
  }

  /** The locker's keypad / QR reader, used by the entrant: no injected faults. */
  doorRouter(): Router {
    const r = Router();
    r.use(express.json());
    r.post('/:nodeId/open', (req, res) => {
      const code: unknown = req.body?.claim_code;
      if (typeof code !== 'string' || code === '') {
        // A malformed request is not a wrong code: say what is missing.
        res.status(400).json({ error: { code: 'invalid_request', message: 'claim_code (the claim code as a string) is required' } });
        return;
      }
      const result = this.open(req.params.nodeId, code);
      res.status(result.status).json(result.body);
    });
    return r;
  }

  /** The door opens once, for the code it was reserved with, before the deadline. */
  open(nodeId: string, code: string): { status: number; body: unknown } {
    const rsv = this.byCode.get(code);
    if (!rsv || rsv.nodeId !== nodeId || rsv.status !== 'reserved' || Date.parse(rsv.expiresAt) <= Date.now()) {
      return { status: 403, body: { error: { code: 'claim_refused', message: 'invalid, used or expired claim code' } } };
    }
    rsv.status = 'picked_up';
    this.emit('pickup.completed', rsv);
    return { status: 200, body: { opened: true, compartment: rsv.compartment } };
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
