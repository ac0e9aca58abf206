// A dead letter made on purpose and replayed from the console. order-service's database is
// made to refuse dave's orders (a trigger raising an error that is not an outage), so the
// `checkout.submitted` of dave's checkout fails every attempt and is dead-lettered; the test
// then removes the cause and the operator replays the dead letter, and the storefront shows
// the saga completing. Only dave's orders are refused, and only while this test runs.
import { test, expect } from '@playwright/test';
import { shopAs, addToCart, placeOrder, sagaReaches, shot, sql, openConsole } from './helpers.js';

const REFUSE = `
  CREATE OR REPLACE FUNCTION browser_test_refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'browser test: orders of % are refused on purpose', NEW.customer_id; END $$;
  DROP TRIGGER IF EXISTS browser_test_refuse_order ON orders;
  CREATE TRIGGER browser_test_refuse_order BEFORE INSERT ON orders FOR EACH ROW
    WHEN (NEW.customer_id = 'dave') EXECUTE FUNCTION browser_test_refuse_order();`;
const ALLOW = `
  DROP TRIGGER IF EXISTS browser_test_refuse_order ON orders;
  DROP FUNCTION IF EXISTS browser_test_refuse_order();`;

test.afterEach(() => {
  sql('orderflow_order', ALLOW);
});

test('an admin replays a dead letter made on purpose, and the saga completes on screen', async ({ context, page }) => {
  sql('orderflow_order', REFUSE);
  await shopAs(page, 'dave');
  await addToCart(page, 'Noise-cancelling headset');
  const checkoutId = await placeOrder(page, 'tok_visa');
  await expect(page.locator('#checkout-state')).toHaveText('PENDING');

  const console = await openConsole(context);
  const letters = console.getByRole('region', { name: 'Dead letters of orderflow.checkout.v1' });
  const letter = letters.locator(`tr[data-key="${checkoutId}"]`);
  // Five attempts with backoff, about two seconds, then the dead letter.
  await expect(async () => {
    await console.getByRole('button', { name: 'Refresh now' }).click();
    await expect(letter).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(letter).toContainText('dlq-error');
  await expect(letter).toContainText('refused on purpose');
  await expect(letter).toContainText('dev.orderflow.checkout.submitted.v1');
  await expect(page.locator('#checkout-state')).toHaveText('PENDING');

  sql('orderflow_order', ALLOW);
  await letter.getByRole('button', { name: /^Replay dead letter/ }).click();
  await expect(letter.getByRole('status')).toHaveText(/Replayed to .*orderflow\.checkout\.v1/);
  await shot(console, 'console-replayed');

  await page.bringToFront();
  await sagaReaches(page, 'COMPLETED', 'CONFIRMED', 'AUTHORIZED');
  await shot(page, 'storefront-after-replay');

  // The console names the checkout's trace, the one the storefront started, replay or not.
  const trace = await page.locator('p.note', { hasText: 'Trace id' }).locator('code').first().textContent();
  expect(trace).toMatch(/^[0-9a-f]{32}$/);
  await console.bringToFront();
  await console.getByRole('button', { name: 'Refresh now' }).click();
  const row = console.locator('#checkouts tr', { has: console.locator(`code[title="${checkoutId}"]`) });
  await expect(row).toContainText(trace);
});
