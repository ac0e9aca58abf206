// The full checkout saga as users drive it: session, cart, checkout, then polling the checkout
// until it is final. Open-loop (constant arrival rate), bounded in time, with pass/fail
// thresholds. Targets 127.0.0.1 unless CHECKOUT_URL says otherwise.
//   k6 run tests/load/checkout.js                      (against `make up`)
//   RATE=20 DURATION=60s CHECKOUT_URL=https://... k6 run tests/load/checkout.js
import http from 'k6/http';
import { check, sleep } from 'k6';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import { Rate, Trend } from 'k6/metrics';

const CHECKOUT = __ENV.CHECKOUT_URL || 'http://127.0.0.1:8080';
// The dev secret of `make up` and docker-compose; never a production secret.
const SECRET = __ENV.AUTH_JWT_SECRET || 'orderflow-dev-secret-not-for-production-use';

const sagaCompleted = new Rate('saga_completed');
const sagaDuration = new Trend('saga_duration', true);

export const options = {
  scenarios: {
    checkout: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 5),
      timeUnit: '1s',
      duration: __ENV.DURATION || '20s',
      preAllocatedVUs: 10,
      maxVUs: 50,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{kind:write}': ['p(95)<250', 'p(99)<500'],
    saga_completed: ['rate>0.99'],
    saga_duration: ['p(95)<3000'],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

// An HS256 token, as `make token CUSTOMER=<customer>` prints it.
function token(customer) {
  const now = Math.floor(Date.now() / 1000);
  const header = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');
  const claims = encoding.b64encode(JSON.stringify({ sub: customer, iat: now, exp: now + 3600 }), 'rawurl');
  const signature = crypto.hmac('sha256', SECRET, `${header}.${claims}`, 'base64rawurl');
  return `${header}.${claims}.${signature}`;
}

export default function () {
  const customer = `load-${__VU}-${__ITER}`;
  const headers = { Authorization: `Bearer ${token(customer)}`, 'Content-Type': 'application/json' };
  const write = { kind: 'write' };

  const session = http.post(`${CHECKOUT}/v1/sessions`, null, { headers, tags: write }).json('session_id');
  const withSession = Object.assign({ 'X-Session-Id': session }, headers);
  http.put(`${CHECKOUT}/v1/cart/items/KB-001`, JSON.stringify({ quantity: 1 }), { headers: withSession, tags: write });
  const submitted = http.post(
    `${CHECKOUT}/v1/checkouts`,
    JSON.stringify({ payment: { card_token: 'tok_visa' } }),
    { headers: Object.assign({ 'Idempotency-Key': `${customer}-${Date.now()}` }, withSession), tags: write },
  );
  if (!check(submitted, { 'checkout accepted': (r) => r.status === 202 })) {
    sagaCompleted.add(false);
    return;
  }

  const started = Date.now();
  let status = 'PENDING';
  for (let i = 0; i < 100 && status === 'PENDING'; i++) {
    sleep(0.05);
    const view = http.get(`${CHECKOUT}${submitted.headers.Location}`, { headers, tags: { kind: 'read' } });
    status = view.json('status');
  }
  sagaCompleted.add(status === 'COMPLETED');
  sagaDuration.add(Date.now() - started);
}
