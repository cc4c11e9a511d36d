/** The worker's workflow bundle entry point. */
export { dropWorkflow } from './drop/drop-workflow';
export { orderWorkflowV2 } from './order/order-workflow-v2';
export { slaEscalationWorkflow } from './support/sla-escalation-workflow';
