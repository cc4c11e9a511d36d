/**
 * A workflow's page in the Temporal web UI: `<base>/namespaces/<ns>/workflows/<id>` (the id
 * percent-encoded: ours hold colons). The UI shows the latest run of that id.
 */
export function temporalUiLink(baseUrl: string, namespace: string, workflowId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
