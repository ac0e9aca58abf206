// Browsing and cart edits, checkout-service only: the catalog, a new session (anonymous, or
// signed in for SIGNED_IN_RATIO of the shoppers, default 0.3), adding two products, changing a
// quantity, removing a line, reading the cart back (priced from the catalog) and, for some,
// emptying it. Open-loop, bounded in time, pass/fail thresholds.
//   k6 run tests/load/browse.js                                 (against `make up`)
//   PROFILE=smoke|default|spike|soak RATE=10 DURATION=30s k6 run tests/load/browse.js
import { check } from 'k6';
import * as lib from './lib.js';

const SIGNED_IN_RATIO = Number(__ENV.SIGNED_IN_RATIO || 0.3);

export const options = lib.options(
  { browse: lib.scenario({ rate: 20, vus: 10, maxVUs: 50, smokeIterations: 6 }) },
  lib.thresholds(['read', 'write']),
);

const itemsOf = (res) => lib.getJson(res, 'items') || [];
const quantities = (res) => Object.fromEntries(itemsOf(res).map((l) => [l.sku, l.quantity]));
const sameCart = (res, want) => JSON.stringify(quantities(res)) === JSON.stringify(want);

export default function () {
  const catalog = lib.products();
  const listed = lib.getJson(catalog, 'items') || [];
  check(catalog, { 'catalog listed': (r) => r.status === 200 && listed.length > 0 });
  if (listed.length < 2) return;
  const prices = Object.fromEntries(listed.map((p) => [p.sku, p.price_minor]));
  lib.think();

  const bearer = Math.random() < SIGNED_IN_RATIO ? lib.token(`load-${lib.uid()}`) : null;
  const session = lib.newSession(bearer);
  if (!session) return;

  // Two different products, then more of the first, then the second removed.
  const first = lib.pick(listed).sku;
  const second = lib.pick(listed.filter((p) => p.sku !== first)).sku;
  let res = lib.setItem(bearer, session, first, 1);
  check(res, { 'item added': (r) => r.status === 200 && sameCart(r, { [first]: 1 }) });
  lib.think();
  res = lib.setItem(bearer, session, second, 2);
  const version = lib.getJson(res, 'version');
  check(res, { 'second item added': (r) => r.status === 200 && quantities(r)[second] === 2 });
  res = lib.setItem(bearer, session, first, 3);
  check(res, {
    'quantity changed': (r) => r.status === 200 && quantities(r)[first] === 3 && lib.getJson(r, 'version') > version,
  });
  lib.think();
  res = lib.removeItem(bearer, session, second);
  check(res, { 'item removed': (r) => r.status === 200 && sameCart(r, { [first]: 3 }) });

  res = lib.getCart(bearer, session);
  check(res, {
    'cart read back, priced from the catalog': (r) =>
      r.status === 200 && sameCart(r, { [first]: 3 }) && lib.getJson(r, 'total_minor') === 3 * prices[first],
  });

  if (Math.random() < 0.2) {
    res = lib.clearCart(bearer, session);
    check(res, { 'cart emptied': (r) => r.status < 300 });
  }
}
