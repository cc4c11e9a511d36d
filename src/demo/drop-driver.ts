import type { DropsApiClient } from './api-client';
import { pollUntil, pollUntilDeadline } from '../lib/poll';

/** What an entrant holds after registering. */
export type Receipt = { entryId: string; receiptSecret: string };

/** Why support or ops act, as every money-moving or cancelling action must say. */
export const DEMO_REASON = { reasonCode: 'entrant_request', reason: 'asked at the support desk' } as const;

/**
 * The steps the recorded scenarios drive drops with, through public HTTP and the simulators'
 * controls (`/_sim/...`) only: launch, register, close, pay (or decline) at the provider's
 * checkout, open the locker, ask support or ops. Every wait polls with the one shared deadline.
 */
export function demoDriver(o: { api: DropsApiClient; providerUrl: string; deadline: number }) {
  const { api } = o;
  const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => pollUntil(what, check, { deadline: o.deadline, intervalMs: 250 });
  const post = async (url: string, body?: unknown) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.text() };
  };
  /** Sets the payment provider's (or another provider's) simulated faults. */
  const faults = async (profile: Record<string, unknown>) => {
    const r = await post(`${o.providerUrl}/_sim/faults`, profile);
    if (r.status !== 200) throw new Error(`faults answered ${r.status}: ${r.body}`);
  };

  const phase = async (dropId: string) => (await api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase as string;
  const phaseIn = (dropId: string, ...phases: string[]) =>
    until(`${dropId} in ${phases.join('/')}`, async () => {
      const now = await phase(dropId);
      return phases.includes(now) ? now : undefined;
    });
  /** Launches `dropId` (the body's other fields as given) and waits for registration to open. */
  const launch = async (dropId: string, body: Record<string, unknown>) => {
    const r = await api.call('POST', '/v1/drops', { as: 'ops', body: { dropId, name: dropId, currency: 'usd', ...body } });
    if (r.status !== 201) throw new Error(`launch of ${dropId} answered ${r.status}: ${JSON.stringify(r.body)}`);
    await phaseIn(dropId, 'registration');
  };
  const register = async (dropId: string, regions: string[], emailTag = '') => {
    const receipts: Receipt[] = [];
    for (const [i, region] of regions.entries()) {
      const r = await api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}-${emailTag}${i}@example.test`, region } });
      if (r.status !== 201) throw new Error(`registration answered ${r.status}: ${JSON.stringify(r.body)}`);
      receipts.push(r.body);
    }
    return receipts;
  };
  /** An ops control on the drop (`close`, `pause`, `resume`, `cancel`, `windows`, ...); throws unless 200. */
  const control = async (dropId: string, path: string, body?: Record<string, unknown>) => {
    const r = await api.call('POST', `/v1/drops/${dropId}/${path}`, { as: 'ops', ...(body && { body }) });
    if (r.status !== 200) throw new Error(`${path} of ${dropId} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const close = (dropId: string) => control(dropId, 'close');

  const status = async (dropId: string, r: Receipt) =>
    (await api.call('GET', `/v1/drops/${dropId}/entries/${r.entryId}`, { headers: { 'x-receipt-secret': r.receiptSecret } })).body;
  /** Waits for the entrant's order to be in one of `states`; gives the order as their status page shows it. */
  const orderIn = (dropId: string, r: Receipt, ...states: string[]) =>
    until(`order of ${r.entryId} in ${states.join('/')}`, async () => {
      const s = await status(dropId, r);
      return s.order && states.includes(s.order.state) ? s.order : undefined;
    });
  /** Waits for a field of the order (its pay link, its claim code) to show a value other than `previous`. */
  const orderFieldChanged = (dropId: string, r: Receipt, field: 'payLink' | 'claimCode', previous: string) =>
    until(`a new ${field} for ${r.entryId}`, async () => {
      const value = (await status(dropId, r)).order?.[field];
      return typeof value === 'string' && value !== previous ? value : undefined;
    });
  /** Pays (or, with `outcome: 'decline'`, has the card declined: 402) at the provider's checkout. */
  const checkout = async (payLink: string, outcome: 'pay' | 'decline' = 'pay') => {
    const r = await post(payLink, outcome === 'pay' ? undefined : { outcome });
    const expected = outcome === 'pay' ? 200 : 402;
    if (r.status !== expected) throw new Error(`checkout (${outcome}) answered ${r.status}: ${r.body}`);
  };
  /** Waits for the order's pay window, then pays; gives the order as it was. */
  const pay = async (dropId: string, r: Receipt) => {
    const order = await orderIn(dropId, r, 'awaiting_payment');
    await checkout(order.payLink as string);
    return order;
  };
  const openLocker = async (nodeId: string, claimCode: string) => post(`${o.providerUrl}/lockers/${nodeId}/open`, { claim_code: claimCode });
  const pickUp = async (order: { nodeId: string; claimCode: string }) => {
    const r = await openLocker(order.nodeId, order.claimCode);
    if (r.status !== 200) throw new Error(`locker answered ${r.status}: ${r.body}`);
  };
  const final = async (dropId: string, r: Receipt) => {
    const s = await status(dropId, r);
    return { dropId, entryId: r.entryId, orderId: s.order.orderId as string, finalState: s.order.state as string };
  };

  /** Sends support's resolve once; gives the answer as it came. */
  const resolveOnce = (orderId: string, body: Record<string, unknown>) => api.call('POST', `/v1/orders/${orderId}/resolve`, { as: 'support', body });
  /**
   * Support's resolve, with a reason. A 409 (the order has not seen what allows the action yet, e.g.
   * the decline's webhook, or a step under way) is asked again for up to `retryMs`; any other
   * answer but 200 throws.
   */
  const resolve = async (orderId: string, action: string, extra: Record<string, unknown> = {}, retryMs = 30_000) => {
    let refused: unknown;
    const answer = await pollUntilDeadline(
      async () => {
        const r = await resolveOnce(orderId, { action, ...DEMO_REASON, ...extra });
        if (r.status === 200) return r.body ?? {};
        if (r.status !== 409) throw new Error(`resolve ${action} of ${orderId} answered ${r.status}: ${JSON.stringify(r.body)}`);
        refused = r.body;
        return undefined;
      },
      { deadline: Math.min(o.deadline, Date.now() + retryMs), intervalMs: 500 },
    );
    if (!answer.done) throw new Error(`resolve ${action} of ${orderId} still refused: ${JSON.stringify(refused)}`);
    return answer.value;
  };

  return {
    until,
    post,
    faults,
    phase,
    phaseIn,
    launch,
    register,
    control,
    close,
    status,
    orderIn,
    orderFieldChanged,
    checkout,
    pay,
    openLocker,
    pickUp,
    final,
    resolveOnce,
    resolve,
  };
}
export type DemoDriver = ReturnType<typeof demoDriver>;
