const Sequencer = require('@jest/test-sequencer').default;

/**
 * The longest suites first, in a fixed order, then the rest as Jest would order them. A fresh
 * clone (CI) has no timing cache, so Jest would otherwise order by file size and start the
 * thousand-order fault run late, beside whatever is left; first, it runs beside the early suites,
 * as on a warm checkout, and the run does not end waiting on one long suite.
 */
const FIRST = ['order-faults.test.ts', 'worker-crash.test.ts', 'replay.test.ts', 'draw-crash.test.ts', 'payment-states.test.ts'];

class LongestFirst extends Sequencer {
  sort(tests) {
    const rank = (t) => {
      const i = FIRST.findIndex((name) => t.path.endsWith(`/${name}`));
      return i === -1 ? FIRST.length : i;
    };
    const rest = super.sort(tests.filter((t) => rank(t) === FIRST.length));
    const first = tests.filter((t) => rank(t) < FIRST.length).sort((a, b) => rank(a) - rank(b));
    return [...first, ...rest];
  }
}

module.exports = LongestFirst;
