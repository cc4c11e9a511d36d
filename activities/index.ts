import type { ActivityDeps } from './deps';
import { createDrawActivities } from './draw/draw-activities';
import { createDropActivities } from './drop/drop-activities';
import { createFulfillmentActivities } from './fulfillment/fulfillment-activities';
import { createOrderActivities } from './order/order-activities';
import { createPaymentActivities } from './payment/payment-activities';
import { createPickupActivities } from './pickup/pickup-activities';
import { createReportingActivities } from './reporting/reporting-activities';
import { createSupportActivities } from './support/support-activities';

export type { ActivityDeps } from './deps';

/** Every activity of the drop engine, bound to its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDropActivities(deps),
    ...createDrawActivities(deps),
    ...createOrderActivities(deps),
    ...createPaymentActivities(deps),
    ...createFulfillmentActivities(deps),
    ...createPickupActivities(deps),
    ...createReportingActivities(deps),
    ...createSupportActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
