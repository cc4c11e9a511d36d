/**
 * A link to a workflow in the Temporal web UI: `<baseUrl>/namespaces/<namespace>/workflows/<workflowId>`,
 * each part URI-encoded (workflow ids hold `:`), one `/` between the base and the path whatever
 * the base ends with. Pure: the base comes from DROPS_TEMPORAL_UI_URL through the caller.
 */
export function temporalUiLink(baseUrl: string, namespace: string, workflowId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
