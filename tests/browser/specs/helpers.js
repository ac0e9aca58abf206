// What the browser tests share: signing in as a customer, filling the cart, placing an order,
// the console, and where the screenshots go. The same specs run against `make up`'s edge, whose
// storefront lists dev customers, and against a deployment that serves no tokens (the cluster
// test): there a token is pasted, minted as a user mints one, with `make token`.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { expect } from '@playwright/test';

const SHOTS = new URL('../../../target/browser/', import.meta.url).pathname;

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

const ROOT = new URL('../../../', import.meta.url).pathname;

/** A dev bearer token of `customer` (an admin's with `admin`), from scripts/token.sh. */
export function tokenOf(customer, { admin = false } = {}) {
  return execFileSync(`${ROOT}scripts/token.sh`, [customer, admin ? '1' : ''], { encoding: 'utf8' }).trim();
}

/** Opens the storefront and signs in as `customer`, without waiting for the cart. */
export async function signInAs(page, customer) {
  await page.goto('/');
  const entry = page.locator('#token-entry');
  // The page lists the customers, or asks for a token, once it has read its settings.
  await expect(page.locator('#customer > option, #token-entry:visible').first()).toBeAttached();
  if (await entry.isVisible()) {
    await page.getByLabel('Bearer token').fill(tokenOf(customer));
    await entry.getByRole('button', { name: 'Use token' }).click();
  } else {
    await page.getByLabel('Shopping as').selectOption(customer);
  }
}

/** Opens the storefront as `customer`, with a cart of its own (a fresh browser context). */
export async function shopAs(page, customer) {
  await signInAs(page, customer);
  await expect(page.getByRole('heading', { name: 'Your cart' })).toBeVisible();
  // The cart shows once the session exists and the cart was read.
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

/** The operations console in a page of its own, signed in as an admin. */
export async function openConsole(context) {
  const console = await context.newPage();
  await console.goto(process.env.CONSOLE_URL ? `${process.env.CONSOLE_URL}/ops` : '/ops');
  const entry = console.locator('#token-entry');
  await expect(console.locator('#operator:not(:empty), #token-entry:visible').first()).toBeAttached();
  if (await entry.isVisible()) {
    await console.getByLabel('Admin token').fill(tokenOf('ops', { admin: true }));
    await entry.getByRole('button', { name: 'Use token' }).click();
  }
  await expect(console.locator('#operator')).toHaveText(/^Operator: /);
  return console;
}

/**
 * SQL against one of the system's databases: psql to `make up`'s server (PG_URL), or, where
 * PSQL names a command, that command given the database's name (the cluster test runs psql
 * inside the Postgres pod).
 */
export function sql(database, statement) {
  const [command, ...target] = process.env.PSQL
    ? [...process.env.PSQL.split(' '), '-d', database]
    : ['psql', `${process.env.PG_URL || 'postgres://postgres@127.0.0.1:55432'}/${database}`];
  return execFileSync(command, [...target, '-qtAX', '-v', 'ON_ERROR_STOP=1',
    '-c', `SET client_min_messages = warning; ${statement}`], { encoding: 'utf8' });
}

/** The admin's orders list, straight from the API (to count a customer's orders). */
export async function ordersOf(request, customer) {
  // A deployment that serves no dev tokens may serve no settings at all (the cluster's).
  const settings = await request.get('/config.json');
  const config = settings.ok() ? await settings.json() : {};
  const token = config.admin?.token ?? tokenOf('ops', { admin: true });
  const response = await request.get('/v1/orders?limit=100', {
    headers: { Authorization: `Bearer ${token}` },
  });
  return (await response.json()).items.filter((o) => o.customer_id === customer);
}
