// The full checkout saga as shoppers drive it: a session, a cart of one or two lines, a checkout,
// then polling the checkout until it is final; a completed one is then read from order-service
// (CONFIRMED). DECLINE_RATIO (default 0.1) of the shoppers pay with a declined card and must
// end FAILED (the order CANCELLED). Open-loop, bounded in time, pass/fail thresholds.
//   k6 run tests/load/checkout.js                               (against `make up`)
//   PROFILE=smoke|default|spike|soak RATE=5 DURATION=30s k6 run tests/load/checkout.js
//   CHECKOUT_URL=https://... ORDER_URL=https://... AUTH_JWT_SECRET=... SLO=prod k6 run ...
import { check } from 'k6';
import * as lib from './lib.js';

const DECLINE_RATIO = Number(__ENV.DECLINE_RATIO || 0.1);

export const options = lib.options(
  { checkout: lib.scenario({ rate: 10, vus: 10, maxVUs: 50, smokeIterations: 6 }) },
  lib.thresholds(['read', 'write'], { saga: true }),
);

export default function () {
  const customer = `load-${lib.uid()}`;
  const bearer = lib.token(customer);
  const lines = [[lib.pick(lib.SKUS), 1 + Math.floor(Math.random() * 3)]];
  if (Math.random() < 0.5) lines.push([lib.pick(lib.SKUS), 1]);
  const card = Math.random() < DECLINE_RATIO ? 'tok_chargeDeclined' : 'tok_visa';

  const saga = lib.submitCheckout(customer, bearer, lines, card);
  if (!saga) {
    lib.sagaCompleted.add(false);
    return;
  }
  lib.awaitSagas([saga]);

  const view = saga.view;
  if (view && view.status === 'COMPLETED') {
    const order = lib.getOrder(bearer, view.order_id);
    check(order, {
      'completed checkout has a confirmed order': (r) =>
        r.status === 200 && lib.getJson(r, 'status') === 'CONFIRMED' && lib.getJson(r, 'total_minor') === view.total_minor,
    });
  } else if (view && view.status === 'FAILED') {
    check(view, { 'declined checkout failed as declined': (v) => v.failure_reason === 'declined' });
  }
}
