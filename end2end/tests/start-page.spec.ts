import { expect, test } from '@playwright/test';

test.describe('start page', () => {
  test('is rendered on the server: the HTML has the title before any JavaScript runs', async ({
    request,
  }) => {
    const res = await request.get('/');
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<title>DucatPay</title>');
    expect(html).toContain('<h1>DucatPay</h1>');
    expect(html).toContain('data-testid="hydrated-count"');
    // The hydration marker is only set by an Effect in the browser.
    expect(html).toContain('data-hydrated="false"');
  });

  test('hydrates: the counter only changes once the WASM bundle is running', async ({ page }) => {
    const failed: string[] = [];
    page.on('pageerror', (err) => failed.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') failed.push(`console: ${msg.text()}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
    });

    await page.goto('/');
    await expect(page).toHaveTitle('DucatPay');
    await expect(page.locator('[data-hydrated="true"]')).toHaveCount(1);
    await expect(page.getByTestId('hydration-state')).toContainText('hydrated');

    const count = page.getByTestId('hydrated-count');
    await expect(count).toHaveText('0');
    const button = page.getByRole('button', { name: 'Check hydration' });
    await button.click();
    await expect(count).toHaveText('1');
    await button.click();
    await expect(count).toHaveText('2');

    expect(failed).toEqual([]);
  });

  test('the stylesheet is served', async ({ request }) => {
    const res = await request.get('/pkg/ducatpay.css');
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/css');
  });

  test('an unknown address gets the not-found page with status 404', async ({ page }) => {
    const res = await page.goto('/no/such/page');
    expect(res?.status()).toBe(404);
    await expect(page.getByText('There is no page at this address.')).toBeVisible();
  });
});
