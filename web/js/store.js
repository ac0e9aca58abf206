// The storefront: sign-in from the dev customers, the catalog, the cart (its total always the
// server's), and the wiring of the checkout and the orders.
import { call, loadConfig } from './api.js';
import { el, money, showProblem, clearProblem } from './ui.js';
import { shopper, signIn, asShopper, tokenSubject } from './session.js';
import { setUpCheckout } from './checkout.js';
import { showOrders } from './orders.js';

const $ = (id) => document.getElementById(id);
const problem = $('problem');

export const shop = { config: null, onCartChange: () => {} };

/** Runs an action of the shopper; its error, if any, is shown as the problem it is. */
export async function act(action) {
  clearProblem(problem);
  try {
    return await action();
  } catch (error) {
    showProblem(problem, error);
    return undefined;
  }
}

async function main() {
  shop.config = await loadConfig();
  const select = $('customer');
  for (const customer of shop.config.customers) {
    select.append(el('option', { value: customer.id }, customer.id));
  }
  if (shop.config.customers.length === 0) {
    // No dev tokens served here (compose, Kubernetes): the shopper pastes one.
    select.hidden = true;
    $('customer').labels[0].hidden = true;
    $('token-entry').hidden = false;
  }
  const remembered = localStorage.getItem('orderflow.customer');
  if (shop.config.customers.some((c) => c.id === remembered)) select.value = remembered;
  select.addEventListener('change', () => act(() => useCustomer(select.value)));
  $('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    act(() => start(tokenSubject(token) || 'customer', token));
  });
  $('orders-refresh').addEventListener('click', () => act(showOrders));
  setUpCheckout();
  await act(showCatalog);
  if (select.value) await act(() => useCustomer(select.value));
}

async function useCustomer(id) {
  const customer = shop.config.customers.find((c) => c.id === id);
  localStorage.setItem('orderflow.customer', id);
  await start(customer.id, customer.token);
}

async function start(customer, token) {
  await signIn(customer, token);
  await showCart();
  await showOrders();
}

async function showCatalog() {
  const { body } = await call('/v1/products');
  $('products').replaceChildren(...body.items.map((product) => el('li', { class: 'product' },
    el('h3', {}, product.name),
    el('p', { class: 'sku' }, product.sku),
    el('p', { class: 'price' }, money(product.price_minor, product.currency)),
    el('button', {
      type: 'button',
      'aria-label': `Add ${product.name} to the cart`,
      onclick: () => act(() => addToCart(product.sku)),
    }, 'Add to cart'),
  )));
}

async function addToCart(sku) {
  needShopper();
  const { body: cart } = await asShopper('/v1/cart');
  const line = cart.items.find((item) => item.sku === sku);
  await setQuantity(sku, (line ? line.quantity : 0) + 1);
}

async function setQuantity(sku, quantity) {
  const { body } = quantity > 0
    ? await asShopper(`/v1/cart/items/${encodeURIComponent(sku)}`, { method: 'PUT', body: { quantity } })
    : await asShopper(`/v1/cart/items/${encodeURIComponent(sku)}`, { method: 'DELETE' });
  renderCart(body);
}

export async function showCart() {
  const { body } = await asShopper('/v1/cart');
  renderCart(body);
}

function renderCart(cart) {
  const empty = cart.items.length === 0;
  $('cart-empty').hidden = !empty;
  $('cart-table').hidden = empty;
  $('checkout-form').hidden = empty;
  $('cart-lines').replaceChildren(...cart.items.map((line) => {
    const id = `qty-${line.sku}`;
    const input = el('input', {
      id, type: 'number', min: '0', max: '99', value: String(line.quantity), inputmode: 'numeric',
    });
    input.addEventListener('change', () => act(() => setQuantity(line.sku, Number(input.value))));
    return el('tr', { dataset: { sku: line.sku } },
      el('th', { scope: 'row' }, line.name),
      el('td', {}, el('label', { for: id, class: 'visually-hidden' }, `Quantity of ${line.name}`), input),
      el('td', {}, money(line.unit_price_minor, cart.currency)),
      el('td', {}, money(line.line_total_minor, cart.currency)),
      el('td', {}, el('button', {
        type: 'button',
        'aria-label': `Remove ${line.name}`,
        onclick: () => act(() => setQuantity(line.sku, 0)),
      }, 'Remove')),
    );
  }));
  $('cart-total').textContent = money(cart.total_minor, cart.currency);
  shop.onCartChange(cart);
}

function needShopper() {
  if (!shopper.token) {
    throw { problem: { title: 'Not signed in', detail: 'choose a customer (or paste a token) first' } };
  }
}

main();
