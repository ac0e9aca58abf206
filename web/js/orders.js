// The shopper's orders, newest first, each with its history and payment on demand; a
// confirmed order can be cancelled, and the refund that follows is shown when it lands.
import { el, money, short, time, sleep } from './ui.js';
import { shopper, asShopper } from './session.js';
import { act } from './store.js';
import { paymentOf } from './checkout.js';

const $ = (id) => document.getElementById(id);

export async function showOrders() {
  if (!shopper.token) return;
  const { body } = await asShopper('/v1/orders?limit=10');
  $('orders-empty').hidden = body.items.length > 0;
  $('order-list').replaceChildren(...body.items.map(orderItem));
}

function orderItem(order) {
  const details = el('div', { class: 'order-details' });
  const item = el('li', { class: 'order', dataset: { orderId: order.order_id, checkoutId: order.checkout_id } },
    el('h3', {}, 'Order ', el('code', { title: order.order_id }, short(order.order_id))),
    el('p', {}, el('strong', { class: 'order-status' }, order.status),
      order.cancel_reason ? ` (${order.cancel_reason})` : '',
      ` · ${money(order.total_minor, order.currency)} · `, time(order.created_at)),
    details);
  const toggle = el('button', { type: 'button', 'aria-expanded': 'false', class: 'history-toggle' }, 'Show history');
  toggle.addEventListener('click', () => act(async () => {
    const open = toggle.getAttribute('aria-expanded') === 'true';
    toggle.setAttribute('aria-expanded', String(!open));
    toggle.textContent = open ? 'Show history' : 'Hide history';
    if (open) details.replaceChildren();
    else await renderDetails(order.order_id, details);
  }));
  item.append(toggle);
  if (order.status === 'CONFIRMED') {
    item.append(el('button', {
      type: 'button',
      class: 'danger',
      onclick: (event) => act(() => cancel(order.order_id, event.currentTarget, item)),
    }, 'Cancel order'));
  }
  return item;
}

async function renderDetails(orderId, details) {
  const [{ body: order }, payment] = await Promise.all([
    asShopper(`/v1/orders/${orderId}`), paymentOf(orderId),
  ]);
  details.replaceChildren(
    el('ol', { class: 'timeline', 'aria-label': `History of order ${short(orderId)}` },
      order.history.map((change) => el('li', {}, time(change.occurred_at), ' ',
        change.status, change.reason ? ` (${change.reason})` : ''))),
    el('p', { class: 'payment' }, payment
      ? ['Payment ', el('strong', {}, payment.status), ` · ${money(payment.amount_minor, payment.currency)}`,
        payment.status === 'REFUNDED' ? [' · refunded ', time(payment.updated_at)] : '']
      : 'No payment.'),
  );
}

async function cancel(orderId, button, item) {
  button.disabled = true;
  try {
    const { body: order } = await asShopper(`/v1/orders/${orderId}/cancel`, { method: 'POST' });
    item.querySelector('.order-status').textContent = order.status;
    button.remove();
  } catch (error) {
    button.disabled = false;
    throw error;
  }
  const note = el('p', { class: 'refund', role: 'status' }, 'Cancelled; waiting for the refund…');
  item.append(note);
  // The refund is the saga's next step in checkout-service; it lands in moments.
  for (let poll = 0; poll < 120; poll += 1) {
    const payment = await paymentOf(orderId);
    if (payment && payment.status === 'REFUNDED') {
      note.replaceChildren('Refunded ', el('strong', {}, money(payment.amount_minor, payment.currency)), ' at ', time(payment.updated_at));
      return;
    }
    if (payment && payment.status === 'DECLINED') {
      note.textContent = 'Cancelled; the payment had been declined, so nothing to refund.';
      return;
    }
    await sleep(poll < 40 ? 250 : 1000);
  }
  note.textContent = 'Cancelled; the refund has not landed yet. Refresh the orders to check again.';
}
