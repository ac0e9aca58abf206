// Order history reads on order-service. Setup places CUSTOMERS x ORDERS_PER_CUSTOMER orders
// (default 3 x 12) through the real saga (checkout-service, the broker, order-service), then
// each iteration is a customer paging through their history with keyset pagination
// (`GET /v1/orders?limit=PAGE_LIMIT&cursor=`, default 5 a page) and opening one order
// (`GET /v1/orders/{id}`, with its status history). ADMIN_RATIO (default 0.1) of the iterations
// are an admin reading the first page of everyone's orders. Checks that pages are newest
// first, never repeat an order, hold only the caller's orders and together hold every order
// setup placed. Open-loop, bounded in time, pass/fail thresholds.
//   k6 run tests/load/orders.js                                 (against `make up`)
//   PROFILE=smoke|default|spike|soak RATE=10 DURATION=30s k6 run tests/load/orders.js
import { check, fail } from 'k6';
import * as lib from './lib.js';

const CUSTOMERS = Number(__ENV.CUSTOMERS || 3);
const ORDERS_PER_CUSTOMER = Number(__ENV.ORDERS_PER_CUSTOMER || 12);
const PAGE_LIMIT = Number(__ENV.PAGE_LIMIT || 5);
const ADMIN_RATIO = Number(__ENV.ADMIN_RATIO || 0.1);

export const options = lib.options(
  { orders: lib.scenario({ rate: 20, vus: 10, maxVUs: 50, smokeIterations: 6 }) },
  lib.thresholds(['read', 'list']),
);

// Places the orders, a few sagas at a time, and returns each customer's order ids.
export function setup() {
  const customers = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const id = `load-orders-${lib.uid()}-${c}`;
    customers.push({ id, orders: [] });
  }
  const wanted = [];
  for (let n = 0; n < ORDERS_PER_CUSTOMER; n++) customers.forEach((c) => wanted.push(c));
  while (wanted.length > 0) {
    const batch = wanted.splice(0, 10).map((c) => {
      const saga = lib.submitCheckout(c.id, lib.token(c.id), [[lib.pick(lib.SKUS), 1]], 'tok_visa', 'setup');
      if (saga) saga.owner = c;
      return saga;
    });
    for (const saga of lib.awaitSagas(batch, 'setup')) {
      if (!saga || !saga.view || saga.view.status !== 'COMPLETED') {
        fail(`setup: a checkout did not complete (${saga && saga.view ? saga.view.status : 'not accepted'})`);
      }
      saga.owner.orders.push(saga.view.order_id);
    }
  }
  return { customers };
}

export default function (data) {
  if (Math.random() < ADMIN_RATIO) {
    const res = lib.listOrders(lib.token('load-ops', true), 20);
    check(res, { 'admin lists orders': (r) => r.status === 200 && (lib.getJson(r, 'items') || []).length > 0 });
    return;
  }

  const customer = lib.pick(data.customers);
  const bearer = lib.token(customer.id);
  const seen = [];
  let cursor = null;
  let pages = 0;
  let ordered = true;
  let own = true;
  do {
    const res = lib.listOrders(bearer, PAGE_LIMIT, cursor);
    if (!check(res, { 'order page listed': (r) => r.status === 200 })) return;
    const items = lib.getJson(res, 'items') || [];
    for (const item of items) {
      const previous = seen[seen.length - 1];
      if (previous && item.order_id >= previous.order_id) ordered = false; // UUIDv7: time-ordered
      if (item.customer_id !== customer.id) own = false;
      seen.push(item);
    }
    cursor = lib.getJson(res, 'next_cursor');
    pages += 1;
  } while (cursor && pages < 100);

  const ids = seen.map((o) => o.order_id);
  check(ids, {
    'pages are newest first': () => ordered,
    'pages hold only own orders': () => own,
    'no order on two pages': (list) => new Set(list).size === list.length,
    'every placed order listed': (list) => customer.orders.every((id) => list.includes(id)),
  });

  const orderId = lib.pick(customer.orders);
  const res = lib.getOrder(bearer, orderId);
  check(res, {
    'order read with its history': (r) =>
      r.status === 200 &&
      lib.getJson(r, 'order_id') === orderId &&
      lib.getJson(r, 'status') === 'CONFIRMED' &&
      (lib.getJson(r, 'history') || []).length >= 2,
  });
}
