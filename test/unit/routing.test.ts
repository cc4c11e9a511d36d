import { chooseRoute } from '../../src/domain/routing';

const nodes = [
  { nodeId: 'n1', region: 'north', stockRemaining: 2 },
  { nodeId: 'n2', region: 'north', stockRemaining: 5 },
  { nodeId: 's1', region: 'south', stockRemaining: 0 },
];

describe('routing a paid order', () => {
  it('picks the fullest node in the entrant region for pickup', () => {
    expect(chooseRoute(nodes, 'north')).toEqual({ fulfillment: 'pickup', nodeId: 'n2' });
  });

  it('ships from the fullest node when the region has no stock', () => {
    expect(chooseRoute(nodes, 'south')).toEqual({ fulfillment: 'ship', nodeId: 'n2' });
    expect(chooseRoute(nodes, 'west')).toEqual({ fulfillment: 'ship', nodeId: 'n2' });
  });

  it('has no route when no node has stock', () => {
    expect(
      chooseRoute(
        nodes.map((n) => ({ ...n, stockRemaining: 0 })),
        'north',
      ),
    ).toBeNull();
  });
});
