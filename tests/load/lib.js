// Shared by the k6 scenarios of tests/load/: base URLs, HS256 tokens, the load profiles
// (PROFILE=smoke|default|spike|soak), the thresholds (SLO=debug|prod, each limit overridable)
// and the HTTP steps of a shopper. See tests/load/README.md.
import http from 'k6/http';
import { check, sleep } from 'k6';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import { Counter, Rate, Trend } from 'k6/metrics';

// ---- Where and who ------------------------------------------------------------------------

const trimSlash = (url) => url.replace(/\/+$/, '');
export const CHECKOUT = trimSlash(__ENV.CHECKOUT_URL || 'http://127.0.0.1:8080');
export const ORDER = trimSlash(__ENV.ORDER_URL || 'http://127.0.0.1:8081');
// The dev secret of `make up` and docker-compose; never a production secret.
const SECRET = __ENV.AUTH_JWT_SECRET || 'orderflow-dev-secret-not-for-production-use';
export const PROFILE = __ENV.PROFILE || 'default';
export const SLO = __ENV.SLO || 'debug';

// An HS256 token, as `make token CUSTOMER=<customer> [ADMIN=1]` prints it.
export function token(customer, admin = false) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: customer, iat: now, exp: now + 3600 };
  if (admin) claims.roles = ['admin'];
  const header = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');
  const body = encoding.b64encode(JSON.stringify(claims), 'rawurl');
  const signature = crypto.hmac('sha256', SECRET, `${header}.${body}`, 'base64rawurl');
  return `${header}.${body}.${signature}`;
}

// A short id, unique enough to keep customers, sessions and idempotency keys of concurrent
// runs apart (letters and digits only: valid in a JWT `sub` and an Idempotency-Key).
export function uid() {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}

export function headersFor(bearer, extra = {}) {
  const headers = Object.assign({ 'Content-Type': 'application/json' }, extra);
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return headers;
}

// The catalog of migrations/checkout/0001_catalog.sql (browse.js reads it live).
export const SKUS = ['KB-001', 'MS-002', 'MN-003', 'HS-004', 'CB-005', 'DK-006'];

export const pick = (list) => list[Math.floor(Math.random() * list.length)];

// Optional think time between a shopper's steps: THINK_S=2 sleeps 0..2 s (default none).
const THINK_S = Number(__ENV.THINK_S || 0);
export function think() {
  if (THINK_S > 0) sleep(Math.random() * THINK_S);
}

// ---- Profiles -----------------------------------------------------------------------------

// "1h2m3s", "90s", "2m", "500ms" or a number of seconds -> seconds.
export function seconds(duration) {
  if (/^\d+(\.\d+)?$/.test(String(duration))) return Number(duration);
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let m;
  while ((m = re.exec(duration)) !== null) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
  }
  if (total <= 0) throw new Error(`DURATION=${duration} is not a duration like 30s, 2m or 1h`);
  return total;
}

// The k6 scenario of PROFILE for the script's default function. `d` holds the script's own
// defaults: rate (iterations/s), vus (pre-allocated), maxVUs, smokeIterations.
//   smoke    a handful of iterations by 2 VUs (CI, against a debug `make up`)
//   default  RATE iterations/s for DURATION (30s): the open-model baseline
//   spike    RATE, then SPIKE_FACTOR x RATE (5x) and back, over DURATION (2m)
//   soak     RATE for DURATION (30m); aborts early once errors pass the threshold
export function scenario(d) {
  const rate = Number(__ENV.RATE || d.rate);
  const vus = Number(__ENV.VUS || d.vus);
  const maxVUs = Number(__ENV.MAX_VUS || d.maxVUs);
  switch (PROFILE) {
    case 'smoke':
      return {
        executor: 'shared-iterations',
        vus: Number(__ENV.VUS || 2),
        iterations: Number(__ENV.ITERATIONS || d.smokeIterations),
        maxDuration: __ENV.DURATION || '30s',
      };
    case 'default':
      return {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: '1s',
        duration: __ENV.DURATION || '30s',
        preAllocatedVUs: vus,
        maxVUs,
      };
    case 'spike': {
      const total = seconds(__ENV.DURATION || '2m');
      const peak = Number(__ENV.PEAK_RATE || rate * Number(__ENV.SPIKE_FACTOR || 5));
      const part = (share) => `${Math.max(1, Math.round(total * share))}s`;
      return {
        executor: 'ramping-arrival-rate',
        startRate: rate,
        timeUnit: '1s',
        preAllocatedVUs: vus * 2,
        maxVUs: maxVUs * 4,
        stages: [
          { target: rate, duration: part(0.25) }, // baseline
          { target: peak, duration: part(0.05) }, // sudden surge
          { target: peak, duration: part(0.25) }, // hold the peak
          { target: rate, duration: part(0.05) }, // drop back
          { target: rate, duration: part(0.4) }, // recovery at baseline
        ],
      };
    }
    case 'soak':
      return {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: '1s',
        duration: __ENV.DURATION || '30m',
        preAllocatedVUs: vus,
        maxVUs,
      };
    default:
      throw new Error(`PROFILE=${PROFILE}: expected smoke, default, spike or soak`);
  }
}

// ---- Thresholds ---------------------------------------------------------------------------

// Limits in ms (latency) and ratios. `debug`: a debug-build `make up` on a 2-core machine, with
// k6 on the same machine, measured at p99 <= 8 ms (idle) and <= 35 ms (both cores busy with
// another build), saga p99 <= 270 ms; set at 3-5x the busy figures so a real regression fails
// and a neighbour's build does not. `prod`: what a release build on real infrastructure (load
// balancer, managed Postgres and Kafka) should meet. Each limit can be overridden by its env
// var, e.g. READ_P95_MS=40.
const LIMITS = {
  debug: {
    READ_P95_MS: 50,
    READ_P99_MS: 150,
    WRITE_P95_MS: 75,
    WRITE_P99_MS: 200,
    LIST_P95_MS: 50,
    LIST_P99_MS: 150,
    SAGA_P95_MS: 750,
    SAGA_P99_MS: 1500,
    MAX_ERROR_RATE: 0.01,
    MIN_SAGA_RATE: 0.99,
  },
  prod: {
    READ_P95_MS: 25,
    READ_P99_MS: 100,
    WRITE_P95_MS: 50,
    WRITE_P99_MS: 150,
    LIST_P95_MS: 50,
    LIST_P99_MS: 150,
    SAGA_P95_MS: 500,
    SAGA_P99_MS: 1000,
    MAX_ERROR_RATE: 0.001,
    MIN_SAGA_RATE: 0.999,
  },
};
if (!LIMITS[SLO]) throw new Error(`SLO=${SLO}: expected debug or prod`);
// During a spike, latency may degrade by this factor (errors and saga completion may not).
const SPIKE_LATENCY_FACTOR = Number(__ENV.SPIKE_LATENCY_FACTOR || 3);

export function limit(name) {
  const value = Number(__ENV[name] || LIMITS[SLO][name]);
  if (PROFILE === 'spike' && name.endsWith('_MS')) return value * SPIKE_LATENCY_FACTOR;
  return value;
}

// Thresholds for the request kinds the script tags (`kind:read|write|list`), its error rate
// and, with `saga: true`, saga completion and duration. Setup requests are tagged
// `kind:setup` and only count towards the error rate.
export function thresholds(kinds, { saga = false } = {}) {
  const errors = limit('MAX_ERROR_RATE');
  const failed = [`rate<${errors}`];
  if (PROFILE === 'soak') {
    failed.push({ threshold: `rate<${errors * 5}`, abortOnFail: true, delayAbortEval: '1m' });
  }
  const t = { http_req_failed: failed, checks: [`rate>${1 - errors}`] };
  // An arrival-rate run that runs out of VUs silently offers less load than it claims.
  t.dropped_iterations = [`count<=${Number(__ENV.MAX_DROPPED || 0)}`];
  for (const kind of kinds) {
    const k = kind.toUpperCase();
    t[`http_req_duration{kind:${kind}}`] = [`p(95)<${limit(`${k}_P95_MS`)}`, `p(99)<${limit(`${k}_P99_MS`)}`];
  }
  if (saga) {
    t.saga_completed = [`rate>${limit('MIN_SAGA_RATE')}`];
    t.saga_duration = [`p(95)<${limit('SAGA_P95_MS')}`, `p(99)<${limit('SAGA_P99_MS')}`];
  }
  return t;
}

// Options shared by every script: percentiles in the end-of-test summary.
export function options(scenarios, t) {
  return {
    scenarios,
    thresholds: t,
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'],
    summaryTimeUnit: 'ms',
    setupTimeout: __ENV.SETUP_TIMEOUT || '120s',
    userAgent: 'orderflow-load/k6',
  };
}

// ---- Shopper steps ------------------------------------------------------------------------

const read = (name) => ({ tags: { kind: 'read', name } });
const write = (name) => ({ tags: { kind: 'write', name } });

export function getJson(res, path) {
  try {
    return path === undefined ? res.json() : res.json(path);
  } catch (_) {
    return undefined;
  }
}

// POST /v1/sessions: a new session (bound to the customer when `bearer` is set).
export function newSession(bearer, tags = write('POST /v1/sessions').tags) {
  const res = http.post(`${CHECKOUT}/v1/sessions`, null, { headers: headersFor(bearer), tags });
  check(res, { 'session created': (r) => r.status === 201 && !!getJson(r, 'session_id') });
  return getJson(res, 'session_id');
}

export function setItem(bearer, session, sku, quantity, tags = write('PUT /v1/cart/items/{sku}').tags) {
  return http.put(`${CHECKOUT}/v1/cart/items/${sku}`, JSON.stringify({ quantity }), {
    headers: headersFor(bearer, { 'X-Session-Id': session }),
    tags,
  });
}

export function removeItem(bearer, session, sku) {
  return http.del(`${CHECKOUT}/v1/cart/items/${sku}`, null, {
    headers: headersFor(bearer, { 'X-Session-Id': session }),
    ...write('DELETE /v1/cart/items/{sku}'),
  });
}

export function getCart(bearer, session) {
  return http.get(`${CHECKOUT}/v1/cart`, {
    headers: headersFor(bearer, { 'X-Session-Id': session }),
    ...read('GET /v1/cart'),
  });
}

export function clearCart(bearer, session) {
  return http.del(`${CHECKOUT}/v1/cart`, null, {
    headers: headersFor(bearer, { 'X-Session-Id': session }),
    ...write('DELETE /v1/cart'),
  });
}

export function products() {
  return http.get(`${CHECKOUT}/v1/products`, read('GET /v1/products'));
}

export function getOrder(bearer, orderId, kind = 'read') {
  return http.get(`${ORDER}/v1/orders/${orderId}`, {
    headers: headersFor(bearer),
    tags: { kind, name: 'GET /v1/orders/{id}' },
  });
}

export function listOrders(bearer, limitPerPage, cursor, kind = 'list') {
  let url = `${ORDER}/v1/orders?limit=${limitPerPage}`;
  if (cursor) url += `&cursor=${encodeURIComponent(cursor)}`;
  return http.get(url, {
    headers: headersFor(bearer),
    tags: { kind, name: cursor ? 'GET /v1/orders?cursor' : 'GET /v1/orders' },
  });
}

// ---- The checkout saga --------------------------------------------------------------------

export const sagaCompleted = new Rate('saga_completed'); // reached the outcome its card calls for
export const sagaDuration = new Trend('saga_duration', true); // 202 -> final status seen by polling
export const sagaUnexpected = new Counter('saga_unexpected'); // tagged with the status seen

// Test cards and the final checkout status each one leads to.
export const CARDS = { tok_visa: 'COMPLETED', tok_chargeDeclined: 'FAILED' };
const SAGA_TIMEOUT_MS = Number(__ENV.SAGA_TIMEOUT_MS || 15000);

// Fills a new session's cart and submits it: POST /v1/checkouts. Returns the pending saga,
// or null when the checkout was not accepted.
export function submitCheckout(customer, bearer, lines, card, kind = 'write') {
  const tags = (name) => ({ kind, name });
  const session = newSession(bearer, tags('POST /v1/sessions'));
  if (!session) return null;
  for (const [sku, quantity] of lines) {
    const res = setItem(bearer, session, sku, quantity, tags('PUT /v1/cart/items/{sku}'));
    check(res, { 'item added': (r) => r.status === 200 });
  }
  const res = http.post(`${CHECKOUT}/v1/checkouts`, JSON.stringify({ payment: { card_token: card } }), {
    headers: headersFor(bearer, { 'X-Session-Id': session, 'Idempotency-Key': `load-${uid()}` }),
    tags: tags('POST /v1/checkouts'),
  });
  const accepted = check(res, {
    'checkout accepted': (r) => r.status === 202 && !!r.headers.Location,
  });
  if (!accepted) return null;
  return { customer, bearer, card, location: res.headers.Location, started: Date.now(), view: null };
}

// Polls the sagas (with back-off, in parallel) until each is final or SAGA_TIMEOUT_MS has
// passed; records saga_completed and saga_duration. Returns the sagas with their last view.
export function awaitSagas(sagas, kind = 'read') {
  let pending = sagas.filter((s) => s);
  let pause = 0.025;
  const deadline = Date.now() + SAGA_TIMEOUT_MS;
  while (pending.length > 0 && Date.now() < deadline) {
    sleep(pause);
    pause = Math.min(pause * 1.25, 0.25);
    const responses = http.batch(
      pending.map((s) => ({
        method: 'GET',
        url: `${CHECKOUT}${s.location}`,
        params: { headers: headersFor(s.bearer), tags: { kind, name: 'GET /v1/checkouts/{id}' } },
      })),
    );
    const still = [];
    pending.forEach((s, i) => {
      s.view = responses[i].status === 200 ? getJson(responses[i]) || null : null;
      if (s.view && s.view.status !== 'PENDING') {
        sagaDuration.add(Date.now() - s.started);
      } else {
        still.push(s);
      }
    });
    pending = still;
  }
  for (const s of sagas.filter((x) => x)) {
    const status = s.view ? s.view.status : 'NO_RESPONSE';
    const ok = status === CARDS[s.card];
    sagaCompleted.add(ok);
    if (!ok) sagaUnexpected.add(1, { status: pending.includes(s) ? 'TIMEOUT' : status });
  }
  return sagas;
}
