/** The drop's phases as the read model (the `drops` row) records them. Pure and workflow-safe. */
export type DropPhase = 'scheduled' | 'registration' | 'paused' | 'allocating' | 'settling' | 'post_mortem_pending' | 'completed';

/** The drop workflow's phases: the row's, but `announcing` while the row is still `scheduled`. */
export type DropWorkflowPhase = Exclude<DropPhase, 'scheduled'> | 'announcing';
