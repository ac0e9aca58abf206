// Checkout: one Idempotency-Key per intended checkout, so a double-clicked or retried submit
// makes one checkout (the second answer is the first one replayed, and the page says so);
// then the saga followed by polling until the checkout, its order and its payment are final.
import { el, money, short, time, newTraceparent, traceLink, sleep } from './ui.js';
import { asShopper } from './session.js';
import { shop, act, showCart } from './store.js';
import { showOrders } from './orders.js';

const $ = (id) => document.getElementById(id);

// The checkout being submitted: its key and trace stay the same for every click until the
// cart changes or the checkout ends, and a new key is drawn for the next one.
let intent = null;
let following = null;
let cartVersion = null;

export function setUpCheckout() {
  $('checkout-form').addEventListener('submit', (event) => {
    event.preventDefault();
    act(submit);
  });
  shop.onCartChange = (cart) => {
    cartVersion = cart.version;
    if (intent && intent.cartVersion !== cart.version) intent = null;
  };
}

async function submit() {
  const card = new FormData($('checkout-form')).get('card');
  // Drawn before anything is awaited: a second click arriving meanwhile must find it.
  if (!intent || intent.card !== card) {
    intent = { key: crypto.randomUUID(), traceparent: newTraceparent(), card, cartVersion, sent: 0, replayed: 0 };
  }
  const mine = intent;
  mine.sent += 1;
  const { body, headers } = await send(mine);
  if (headers.get('Idempotent-Replayed') === 'true') mine.replayed += 1;
  mine.checkoutId = body.checkout_id;
  if (following !== body.checkout_id) {
    following = body.checkout_id;
    follow(body.checkout_id, mine);
  } else {
    renderSubmits(mine);
  }
}

// A duplicate that arrives while the first is still being written is told so (409
// request_in_progress); sent again a moment later it gets the first one's answer.
async function send(mine) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await asShopper('/v1/checkouts', {
        method: 'POST',
        body: { payment: { card_token: mine.card } },
        headers: { 'Idempotency-Key': mine.key, traceparent: mine.traceparent },
      });
    } catch (error) {
      if (error.code !== 'request_in_progress' || attempt >= 5) throw error;
      await sleep(200 * attempt);
    }
  }
}

function renderSubmits(mine) {
  const note = $('submits');
  if (!note) return;
  note.textContent = mine.sent > 1
    ? `Submitted ${mine.sent} times, one checkout: ${mine.replayed} of the answers replayed the first (same Idempotency-Key).`
    : 'Submitted once.';
}

const FINAL_CHECKOUT = ['COMPLETED', 'FAILED'];
const FINAL_ORDER = ['CONFIRMED', 'CANCELLED'];

/** Polls the checkout, its order and payment until all are final (at most about 10 minutes). */
async function follow(checkoutId, mine) {
  $('checkout').hidden = false;
  const region = $('checkout-status');
  let saga = { checkout: null, order: null, payment: null };
  for (let poll = 0; poll < 400 && following === checkoutId; poll += 1) {
    saga = await act(() => readSaga(checkoutId)) || saga;
    if (saga.checkout) render(region, saga, mine);
    if (isFinal(saga)) break;
    await sleep(poll < 40 ? 250 : 2000);
  }
  if (!isFinal(saga) && following === checkoutId) {
    region.append(el('p', {}, 'Still in progress. ',
      el('button', { type: 'button', onclick: () => follow(checkoutId, mine) }, 'Keep following')));
    return;
  }
  if (intent === mine) intent = null;
  await act(showCart);
  await act(showOrders);
}

function isFinal({ checkout, order, payment }) {
  if (!checkout || !FINAL_CHECKOUT.includes(checkout.status)) return false;
  if (!checkout.order_id) return true;
  if (!order || !FINAL_ORDER.includes(order.status)) return false;
  // A cancelled order may have had no payment; any other final state has one.
  return order.status === 'CANCELLED' || Boolean(payment);
}

export async function readSaga(checkoutId) {
  const { body: checkout } = await asShopper(`/v1/checkouts/${checkoutId}`);
  let order = null;
  let payment = null;
  if (checkout.order_id) {
    [order, payment] = await Promise.all([
      asShopper(`/v1/orders/${checkout.order_id}`).then((r) => r.body),
      paymentOf(checkout.order_id),
    ]);
  }
  return { checkout, order, payment };
}

/** The payment of an order, or null while there is none yet (404). */
export async function paymentOf(orderId) {
  try {
    return (await asShopper(`/v1/payments/${orderId}`)).body;
  } catch (error) {
    if (error.code === 'payment_not_found') return null;
    throw error;
  }
}

function render(region, { checkout, order, payment }, mine) {
  const status = checkout.status;
  region.replaceChildren(
    el('p', { class: `status status-${status.toLowerCase()}` },
      'Checkout ', el('code', { title: checkout.checkout_id }, short(checkout.checkout_id)), ' is ',
      el('strong', { id: 'checkout-state' }, status),
      checkout.failure_reason ? ` (${checkout.failure_reason})` : '',
      order ? ['; order ', el('strong', { id: 'order-state' }, order.status)] : '',
      payment ? ['; payment ', el('strong', { id: 'payment-state' }, payment.status)] : ''),
    el('p', {}, `Total ${money(checkout.total_minor, checkout.currency)}, card `, el('code', {}, mine.card)),
    el('h3', {}, 'The saga'),
    timeline({ checkout, order, payment }),
    el('p', { id: 'submits', class: 'note' }),
    el('p', { class: 'note' }, 'Trace id ', traceLink(mine.traceparent.split('-')[1], shop.config.jaeger_url),
      ', Idempotency-Key ', el('code', {}, mine.key)),
  );
  renderSubmits(mine);
}

/** The saga's steps so far, in the order they happened. */
export function timeline({ checkout, order, payment }) {
  const steps = [{ label: 'Checkout submitted', at: checkout.created_at }];
  for (const change of (order && order.history) || []) {
    const reason = change.reason ? ` (${change.reason})` : '';
    if (change.status === 'PENDING_PAYMENT') steps.push({ label: 'Order placed', at: change.occurred_at });
    if (change.status === 'CONFIRMED') steps.push({ label: 'Order confirmed', at: change.occurred_at });
    if (change.status === 'CANCELLED') steps.push({ label: `Order cancelled${reason}`, at: change.occurred_at });
  }
  if (payment) {
    const attempts = payment.attempts > 1 ? `, ${payment.attempts} provider attempts` : '';
    if (payment.status === 'DECLINED') {
      steps.push({ label: `Payment declined (${payment.decline_reason || 'declined'}${attempts})`, at: payment.created_at });
    } else {
      steps.push({ label: `Payment authorized${attempts}`, at: payment.created_at });
    }
    if (payment.status === 'REFUNDED') {
      steps.push({ label: `Payment refunded, ${money(payment.amount_minor, payment.currency)}`, at: payment.updated_at });
    }
  }
  if (FINAL_CHECKOUT.includes(checkout.status)) {
    const reason = checkout.failure_reason ? ` (${checkout.failure_reason})` : '';
    steps.push({ label: checkout.status === 'COMPLETED' ? 'Checkout completed' : `Checkout failed${reason}`, at: checkout.updated_at });
  }
  steps.sort((a, b) => new Date(a.at) - new Date(b.at));
  return el('ol', { class: 'timeline', 'aria-label': 'Saga steps' },
    steps.map((step) => el('li', {}, time(step.at), ' ', step.label)));
}

