/**
 * The drop's phases as the read model (the `drops` row) records them. Pure and workflow-safe.
 * - `scheduled`: launched, not announced yet (a scheduled launch waits here until `announceAt`);
 * - `announced`: commitment published, registration opens at `registrationOpensAt` (scheduled launches);
 * - `registration` / `paused` → `allocating` (the draw) → `settling` (orders run) → `post_mortem_pending` → `completed`;
 * - `cancelling` (ops cancelled: registration stopped, open orders being undone) → `cancelled` (report written).
 */
export const DROP_PHASES = [
  'scheduled',
  'announced',
  'registration',
  'paused',
  'allocating',
  'settling',
  'post_mortem_pending',
  'completed',
  'cancelling',
  'cancelled',
] as const;
export type DropPhase = (typeof DROP_PHASES)[number];

/** The drop workflow's phases: the row's, plus `announcing` while the announce activity runs. */
export type DropWorkflowPhase = DropPhase | 'announcing';

/** Phases in which the drop takes no ops action any more: it has finished. */
export const FINISHED_DROP_PHASES: readonly DropPhase[] = ['completed', 'cancelled'];
