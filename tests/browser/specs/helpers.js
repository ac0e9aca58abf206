// What the browser tests share: signing in as a listed customer, filling the cart, placing an
// order, and where the screenshots go.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { expect } from '@playwright/test';

const SHOTS = new URL('../../../target/browser/', import.meta.url).pathname;

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** Opens the storefront as `customer`, with a cart of its own (a fresh browser context). */
export async function shopAs(page, customer) {
  await page.goto('/');
  await page.getByLabel('Shopping as').selectOption(customer);
  await expect(page.getByRole('heading', { name: 'Your cart' })).toBeVisible();
  // The selection starts a session; the cart shows once it exists.
  await expect(page.locator('#cart-empty, #cart-table').first()).toBeVisible();
}

export async function addToCart(page, name, times = 1) {
  for (let i = 0; i < times; i += 1) {
    const before = await page.locator('#cart-total').textContent();
    await page.getByRole('button', { name: `Add ${name} to the cart` }).click();
    await expect(page.locator('#cart-total')).not.toHaveText(before || '');
  }
}

export async function placeOrder(page, card, { double = false } = {}) {
  await page.getByRole('radio', { name: new RegExp(card) }).check();
  const button = page.getByRole('button', { name: 'Place order' });
  if (double) await button.dblclick();
  else await button.click();
  await expect(page.locator('#checkout-state')).toBeVisible();
  return (await page.locator('#checkout-status code').first().getAttribute('title'));
}

export async function sagaReaches(page, checkout, order, payment) {
  await expect(page.locator('#checkout-state')).toHaveText(checkout);
  await expect(page.locator('#order-state')).toHaveText(order);
  if (payment) await expect(page.locator('#payment-state')).toHaveText(payment);
}

/** SQL against one of `make up`'s databases, through psql. */
export function sql(database, statement) {
  const server = process.env.PG_URL || 'postgres://postgres@127.0.0.1:55432';
  return execFileSync('psql', ['-qtAX', '-v', 'ON_ERROR_STOP=1', `${server}/${database}`, '-c', statement], {
    encoding: 'utf8',
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  });
}

/** The admin's orders list, straight from the API (to count a customer's orders). */
export async function ordersOf(request, customer) {
  const config = await (await request.get('/config.json')).json();
  const response = await request.get('/v1/orders?limit=100', {
    headers: { Authorization: `Bearer ${config.admin.token}` },
  });
  return (await response.json()).items.filter((o) => o.customer_id === customer);
}
