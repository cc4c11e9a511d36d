import { listOpenExceptions } from '../../db/repositories/exceptions';
import type { ServiceDeps } from '../deps';

/** An exception in support's queue, as the API shows it (times as ISO 8601). */
export interface SupportException {
  exceptionId: number;
  dropId: string;
  orderId: string | null;
  kind: string;
  detail: string;
  slaDeadline: string;
  createdAt: string;
}

/** Support's queue: the open exceptions, the nearest SLA deadline first. */
export async function listSupportQueue(deps: Pick<ServiceDeps, 'db'>): Promise<SupportException[]> {
  const rows = await listOpenExceptions(deps.db);
  return rows.map((e) => ({
    exceptionId: Number(e.exception_id),
    dropId: e.drop_id,
    orderId: e.order_id,
    kind: e.kind,
    detail: e.detail,
    slaDeadline: new Date(e.sla_deadline).toISOString(),
    createdAt: new Date(e.created_at).toISOString(),
  }));
}
