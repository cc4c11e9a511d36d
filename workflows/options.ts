import type { ActivityOptions } from '@temporalio/workflow';

/** Named activity option presets (workflow-safe). */
export const SETTLE_WAIT_SECONDS = 300;

export const presets = {
  /** Our own database: retried until it answers, however long that takes. */
  database: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
  /** A payment, carrier or locker call: bounded retries, then the saga compensates. */
  provider: {
    startToCloseTimeout: '20 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '20 seconds',
      maximumAttempts: 8,
      nonRetryableErrorTypes: ['ProviderRejected', 'OutOfStock', 'UnknownCarrier'],
    },
  },
  /** Long, heartbeating batch work: the draw, starting order workflows. */
  batch: {
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  },
  /** One bounded wait on Postgres for the orders to settle. */
  settleWait: {
    startToCloseTimeout: `${SETTLE_WAIT_SECONDS + 60} seconds`,
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  },
  /**
   * The ops webhook of an SLA escalation: any failure (a non-2xx, no answer) is sent again with
   * backoff; after the last attempt the escalation stays in the outbox and the next sweep tries again.
   */
  opsWebhook: {
    startToCloseTimeout: '15 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
  },
} satisfies Record<string, ActivityOptions>;
