import type { IntakeRequest } from './prepare';

/** Messages between the API's event loop and the intake thread. */
export interface BatchRequest {
  batchId: number;
  requests: IntakeRequest[];
}

export type ThreadOutcome =
  | { kind: 'created'; entryId: string; createdAt: string; receiptSecret: string }
  | { kind: 'duplicate'; entryId: string; createdAt: string }
  | { kind: 'replay'; entryId: string; createdAt: string; receiptSecret: string }
  | { kind: 'key_reused' }
  | { kind: 'closed' }
  | { kind: 'region_closed' }
  | { kind: 'pass_used' }
  | { kind: 'phone_used' };

export type BatchReply = { batchId: number; outcomes: ThreadOutcome[] } | { batchId: number; error: string };
