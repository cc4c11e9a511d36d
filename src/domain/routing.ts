/** Where a paid order goes: a node in the entrant's region with stock, else shipped from the fullest node. */
export interface StockedNode {
  nodeId: string;
  region: string;
  stockRemaining: number;
}

export type Route = { fulfillment: 'pickup' | 'ship'; nodeId: string } | null;

export function chooseRoute(nodes: readonly StockedNode[], region: string): Route {
  const withStock = nodes.filter((n) => n.stockRemaining > 0);
  // Ties break by node id so the choice is reproducible.
  const fullest = (a: StockedNode, b: StockedNode) => b.stockRemaining - a.stockRemaining || (a.nodeId < b.nodeId ? -1 : 1);
  const local = withStock.filter((n) => n.region === region).sort(fullest)[0];
  if (local) return { fulfillment: 'pickup', nodeId: local.nodeId };
  const any = [...withStock].sort(fullest)[0];
  return any ? { fulfillment: 'ship', nodeId: any.nodeId } : null;
}
