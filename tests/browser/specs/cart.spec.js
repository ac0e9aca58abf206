// The cart while the page is still signing in: the session's answer is held back, and the
// shopper clicks meanwhile. Every cart call must wait for the session, never go without one
// (which the API refuses: "the session id is not a UUID").
import { test, expect } from '@playwright/test';
import { signInAs } from './helpers.js';

test('a click on "Add to cart" before the session exists waits for it', async ({ page }) => {
  await page.route('**/v1/sessions', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await route.continue();
  });
  await signInAs(page, 'bob');
  await page.getByRole('button', { name: 'Add Wireless mouse to the cart' }).click();

  await expect(page.locator('#cart-lines tr')).toHaveCount(1);
  await expect(page.locator('#cart-lines tr')).toContainText('Wireless mouse');
  await expect(page.getByRole('alert')).toBeHidden();
});
