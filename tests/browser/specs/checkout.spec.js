// What a shopper sees of the saga: a good card, a declined one, a double-clicked submit and a
// cancelled order's refund. The API tests prove the behaviour; these prove the screen.
import { test, expect } from '@playwright/test';
import { shopAs, addToCart, placeOrder, sagaReaches, shot, ordersOf } from './helpers.js';

test('a checkout with tok_visa reaches COMPLETED on screen, with the saga as a timeline', async ({ page }) => {
  await shopAs(page, 'alice');
  await addToCart(page, 'Mechanical keyboard', 2);
  await addToCart(page, 'USB-C cable, 2 m');
  await expect(page.locator('#cart-total')).toHaveText('$190.00');

  await placeOrder(page, 'tok_visa');

  await sagaReaches(page, 'COMPLETED', 'CONFIRMED', 'AUTHORIZED');
  const steps = page.getByRole('list', { name: 'Saga steps' }).getByRole('listitem');
  await expect(steps).toHaveText([/Checkout submitted/, /Order placed/, /Payment authorized/, /Order confirmed/, /Checkout completed/]);
  await expect(page.getByText('The cart is empty.')).toBeVisible();
  await shot(page, 'storefront-completed');
});

test('a declined card is shown declined, with the order cancelled', async ({ page }) => {
  await shopAs(page, 'bob');
  await addToCart(page, 'Wireless mouse');

  await placeOrder(page, 'tok_chargeDeclined');

  await sagaReaches(page, 'FAILED', 'CANCELLED', 'DECLINED');
  await expect(page.locator('#checkout-status')).toContainText('(declined)');
  const steps = page.getByRole('list', { name: 'Saga steps' }).getByRole('listitem');
  await expect(steps).toHaveText([/Checkout submitted/, /Order placed/, /Payment declined/, /Order cancelled \(payment_declined\)/, /Checkout failed \(declined\)/]);
  await shot(page, 'storefront-declined');
});

test('a double-clicked submit makes one checkout and one order, and says so', async ({ page, request }) => {
  await shopAs(page, 'carol');
  await addToCart(page, 'Laptop dock');
  const before = (await ordersOf(request, 'carol')).length;

  const checkoutId = await placeOrder(page, 'tok_visa', { double: true });

  await sagaReaches(page, 'COMPLETED', 'CONFIRMED', 'AUTHORIZED');
  await expect(page.locator('#submits')).toHaveText(/Submitted 2 times, one checkout: 1 of the answers replayed the first/);
  const orders = await ordersOf(request, 'carol');
  expect(orders.length).toBe(before + 1);
  expect(orders.filter((o) => o.checkout_id === checkoutId)).toHaveLength(1);
  await shot(page, 'storefront-double-click');
});

test('cancelling a confirmed order shows it cancelled and the payment refunded', async ({ page }) => {
  await shopAs(page, 'alice');
  await addToCart(page, '27-inch monitor');
  const checkoutId = await placeOrder(page, 'tok_visa');
  await sagaReaches(page, 'COMPLETED', 'CONFIRMED', 'AUTHORIZED');

  const order = page.locator(`#order-list > li[data-checkout-id="${checkoutId}"]`);
  await expect(order.locator('.order-status')).toHaveText('CONFIRMED');
  await order.getByRole('button', { name: 'Cancel order' }).click();

  await expect(order.locator('.order-status')).toHaveText('CANCELLED');
  await expect(order.getByRole('status')).toHaveText(/Refunded \$249\.00 at/);
  await order.getByRole('button', { name: 'Show history' }).click();
  await expect(order.getByRole('list')).toContainText('CANCELLED (customer_requested)');
  await expect(order.locator('.payment')).toContainText('REFUNDED');
  await shot(page, 'storefront-refunded');
});
