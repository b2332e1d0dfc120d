// The merchant cabinet in Debian's Chromium: sign-in, lockout, password reset through the
// outbox, language, shops and freeze, operations with filters and pages, the payment card with
// refunds, capture and cancel, creating an invoice, and a phone-sized screen.
import { expect, test } from '@playwright/test';
import {
  createInvoice, getInvoice, getPayment, getRefunds, login, mailTo, newOrg, pay, payWithToken,
} from './cabinet-support';

// Russian is the cabinet's first language; the browser asks for it (one test switches to English).
test.use({ locale: 'ru-RU' });

test.describe('cabinet sign-in', () => {
  test('the demo login signs in, shows the shops, and logout ends the session', async ({ page }) => {
    await login(page, 'demo@ducatpay.local', 'ducatpay-demo');
    await expect(page.getByTestId('shop-list')).toContainText('Demo shop');
    await expect(page.getByTestId('user-email')).toHaveText('demo@ducatpay.local');
    await page.getByTestId('logout').click();
    await expect(page).toHaveURL(/\/cabinet\/login/);
    // The old session is gone: the cabinet sends us back to sign-in.
    await page.goto('/cabinet/operations/payments');
    await expect(page).toHaveURL(/\/cabinet\/login/);
  });

  test('a wrong password shows a message and five lock the account', async ({ page }) => {
    const org = newOrg('lock');
    await page.goto('/cabinet/login');
    await page.waitForLoadState('networkidle');
    await page.getByLabel(/E-mail/).fill(org.email);
    for (let i = 0; i < 5; i++) {
      await page.locator('#login-password').fill('wrong-password');
      await page.getByTestId('login-submit').click();
      await expect(page.getByTestId('login-error')).toHaveText('Неверный e-mail или пароль.');
    }
    await page.locator('#login-password').fill(org.password);
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error')).toContainText('Слишком много неудачных попыток');
    await expect(page).toHaveURL(/\/cabinet\/login/);
  });

  test('forgot password: the link from the outbox sets a new password once', async ({ page }) => {
    const org = newOrg('reset');
    await page.goto('/cabinet/login');
    await page.waitForLoadState('networkidle');
    await page.getByTestId('forgot').click();
    await expect(page).toHaveURL(/reset-password/);
    await page.waitForLoadState('networkidle');
    await page.locator('#reset-email').fill(org.email);
    await page.getByRole('button', { name: 'Отправить ссылку' }).click();
    await expect(page.getByTestId('reset-sent')).toContainText('письмо');
    const mail = await mailTo(org.email);
    const link = mail.match(/https?:\/\/\S+reset-password\?token=\S+/)![0];
    const url = new URL(link);
    await page.goto(url.pathname + url.search);
    await page.waitForLoadState('networkidle');
    await page.locator('#new-password').fill('a-new-password-1');
    await page.locator('#repeat-password').fill('a-new-password-1');
    await page.getByTestId('reset-save').click();
    await expect(page.getByTestId('reset-done')).toBeVisible();
    await login(page, org.email, 'a-new-password-1');
    // The link was single-use.
    await page.goto(url.pathname + url.search);
    await page.waitForLoadState('networkidle');
    await page.locator('#new-password').fill('a-third-password');
    await page.locator('#repeat-password').fill('a-third-password');
    await page.getByTestId('reset-save').click();
    await expect(page.getByTestId('reset-error')).toContainText('недействительна');
  });

  test('the language switch turns the cabinet to English and it stays so', async ({ page }) => {
    await page.goto('/cabinet/login');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Вход в личный кабинет');
    await page.getByTestId('lang-en').click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in to the cabinet');
    await page.reload();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in to the cabinet');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await page.getByTestId('lang-ru').click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Вход в личный кабинет');
  });
});

test.describe('cabinet shops and operations', () => {
  test('freeze a shop: then a payment attempt fails with invalidShopStatus; unfreeze', async ({ page }) => {
    const org = newOrg('freeze');
    const inv = await createInvoice(org, 5000);
    await login(page, org.email, org.password);
    await page.getByRole('link', { name: 'Shop freeze' }).click();
    await page.waitForLoadState('networkidle');
    await expect(page.getByTestId('shop-id')).toHaveText(org.shopID);
    await page.getByTestId('freeze-toggle').click();
    await expect(page.getByTestId('shop-state')).toHaveText('Заморожен');
    const res = await fetch(`${process.env.DUCATPAY_BASE_URL ?? 'http://127.0.0.1:8080'}/v2/processing/payment-resources`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${inv.json.invoiceAccessToken.payload}`, 'X-Request-ID': 'fz1', 'Content-Type': 'application/json' },
      body: JSON.stringify({ paymentTool: { paymentToolType: 'CardData', cardNumber: '4242424242424242', expDate: '12/30', cvv: '123' }, clientInfo: { fingerprint: 'x' } }),
    });
    const tool = await res.json();
    const payRes = await fetch(`${process.env.DUCATPAY_BASE_URL ?? 'http://127.0.0.1:8080'}/v2/processing/invoices/${inv.json.invoice.id}/payments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${inv.json.invoiceAccessToken.payload}`, 'X-Request-ID': 'fz2', 'Content-Type': 'application/json' },
      body: JSON.stringify({ flow: { type: 'PaymentFlowInstant' }, payer: { payerType: 'PaymentResourcePayer', paymentToolToken: tool.paymentToolToken, paymentSession: tool.paymentSession, contactInfo: { email: 'b@example.com' } } }),
    });
    expect(payRes.status).toBe(400);
    expect((await payRes.json()).code).toBe('invalidShopStatus');
    await page.getByTestId('freeze-toggle').click();
    await expect(page.getByTestId('shop-state')).toHaveText('Работает');
  });

  test('filters and cursor pages list the organisation’s payments', async ({ page }) => {
    const org = newOrg('list');
    const paid: string[] = [];
    for (let i = 0; i < 21; i++) paid.push((await pay(org, 1000 + i, '4242424242424242', false, `ord-${i}`)).invoiceID);
    const failed = await pay(org, 777, '4000000000000002');
    await login(page, org.email, org.password);
    await page.goto('/cabinet/operations/payments');
    await page.waitForLoadState('networkidle');
    const rows = page.getByTestId('payment-row');
    await expect(rows).toHaveCount(20);
    await expect(rows.first()).toHaveAttribute('data-payment', `${failed.invoiceID}~1`);
    await expect(page.getByTestId('updated')).toContainText('Последнее обновление');
    await page.getByTestId('page-next').click();
    await expect(rows).toHaveCount(2);
    await expect(page.getByTestId('page-next')).toHaveCount(0);
    await page.getByTestId('page-first').click();
    await expect(rows).toHaveCount(20);
    // Status filter.
    await page.getByTestId('filter-status').selectOption('failed');
    await page.getByTestId('filter-apply').click();
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('Неуспешный');
    // Order number and card filters.
    await page.goto('/cabinet/operations/payments?order=ord-3');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-payment', `${paid[3]}~1`);
    await page.goto('/cabinet/operations/payments?last4=0002');
    await expect(rows).toHaveCount(1);
    // Invoices tab.
    await page.getByTestId('tab-invoices').click();
    await expect(page.getByTestId('invoice-row')).toHaveCount(20);
    await page.goto('/cabinet/operations/invoices?status=unpaid');
    await expect(page.getByTestId('invoice-row')).toHaveCount(1);
  });

  test('payment card: partial then full refund through the dialog, and the API shows them', async ({ page }) => {
    const org = newOrg('refund');
    const { invoiceID } = await pay(org, 10000);
    await login(page, org.email, org.password);
    await page.goto('/cabinet/operations/payments');
    await page.waitForLoadState('networkidle');
    await page.getByTestId('payment-row').first().getByRole('link').click();
    const card = page.getByTestId('payment-card');
    await expect(card).toBeVisible();
    await expect(page.getByTestId('card-fee')).toContainText('0.1 %');
    await expect(page.getByTestId('no-refunds')).toBeVisible();
    await page.waitForLoadState('networkidle');
    await page.getByTestId('make-refund').click();
    const dialog = page.getByTestId('refund-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('refund-available')).toContainText('100,00');
    await page.getByTestId('refund-reason').fill('Возврат тестового платежа');
    await expect(page.getByTestId('refund-counter')).toHaveText('25 / 100');
    await page.getByTestId('refund-partial').check();
    await page.getByTestId('refund-amount').fill('160');
    await page.getByTestId('refund-confirm').click();
    await expect(page.getByTestId('refund-error')).toContainText('больше доступной');
    await page.getByTestId('refund-amount').fill('60');
    await page.getByTestId('refund-confirm').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('card-refund')).toHaveCount(1);
    await expect(page.getByTestId('card-refund').first()).toContainText('60,00');
    let refunds = await getRefunds(org, invoiceID);
    expect(refunds.length).toBe(1);
    expect(refunds[0].amount).toBe(6000);
    expect(refunds[0].reason).toBe('Возврат тестового платежа');
    // The rest, without "partial".
    await page.getByTestId('make-refund').click();
    await expect(page.getByTestId('refund-available')).toContainText('40,00');
    await page.getByTestId('refund-confirm').click();
    await expect(page.getByTestId('card-refund')).toHaveCount(2);
    await expect(page.getByTestId('make-refund')).toHaveCount(0);
    refunds = await getRefunds(org, invoiceID);
    expect(refunds.length).toBe(2);
    expect((await getPayment(org, invoiceID)).status).toBe('refunded');
    await page.getByTestId('tab-refunds').click();
    await expect(page.getByTestId('refund-row')).toHaveCount(2);
  });

  test('a held payment is captured in part, another is cancelled', async ({ page }) => {
    const org = newOrg('hold');
    const captured = await pay(org, 10000, '4242424242424242', true);
    const cancelled = await pay(org, 5000, '4242424242424242', true);
    await login(page, org.email, org.password);
    await page.goto(`/cabinet/operations/payments?open=${captured.invoiceID}~1`);
    await page.waitForLoadState('networkidle');
    await expect(page.getByTestId('hold-box')).toBeVisible();
    await page.getByTestId('capture-partial').check();
    await page.getByTestId('capture-amount').fill('70');
    await page.getByTestId('capture').click();
    await expect(page.getByTestId('hold-box')).toHaveCount(0);
    await expect(page.getByTestId('card-charged')).toContainText('70,00');
    expect((await getPayment(org, captured.invoiceID)).status).toBe('captured');

    await page.goto(`/cabinet/operations/payments?open=${cancelled.invoiceID}~1`);
    await page.waitForLoadState('networkidle');
    page.once('dialog', (d) => d.accept());
    await page.getByTestId('cancel-payment').click();
    await expect(page.getByTestId('hold-box')).toHaveCount(0);
    await expect(page.getByTestId('card-status')).toContainText('Отменен');
    expect((await getPayment(org, cancelled.invoiceID)).status).toBe('cancelled');
  });

  test('create an invoice, copy its checkout link, pay it, and see it paid', async ({ page }) => {
    const org = newOrg('create');
    await login(page, org.email, org.password);
    await page.goto('/cabinet/operations/invoices');
    await page.getByTestId('create-invoice').click();
    await expect(page).toHaveURL(/invoices\/new/);
    await page.waitForLoadState('networkidle');
    await page.getByTestId('inv-product').fill('Тестовая услуга');
    await page.getByTestId('line-product').first().fill('Тестовая услуга');
    await page.getByTestId('line-price').first().fill('100');
    await page.getByTestId('add-line').click();
    await page.getByTestId('line-product').nth(1).fill('Чай');
    await page.getByTestId('line-price').nth(1).fill('25,50');
    await page.getByTestId('line-quantity').nth(1).fill('2');
    await expect(page.getByTestId('inv-total')).toContainText('151,00');
    await page.getByTestId('inv-submit').click();
    const link = page.getByTestId('checkout-link');
    await expect(link).toBeVisible();
    const href = (await link.getAttribute('href'))!;
    const invoiceID = (await link.getAttribute('data-invoice'))!;
    expect(href).toContain(`/v1/checkout.html?invoiceID=${invoiceID}&invoiceAccessToken=`);
    const token = decodeURIComponent(href.split('invoiceAccessToken=')[1]);
    expect((await getInvoice(org, invoiceID)).amount).toBe(15100);
    // The checkout page itself is the hosted checkout's (issue 4); when it is served, open it.
    const checkout = await page.request.get(href);
    if (checkout.ok()) {
      await page.goto(href);
      await expect(page.locator('body')).toContainText('151');
    }
    await payWithToken(invoiceID, token, '4242424242424242');
    await page.goto('/cabinet/operations/invoices');
    await expect(page.locator(`[data-invoice="${invoiceID}"]`)).toContainText('Оплачен');
  });

  test('receipt download and no foreign data with an edited URL', async ({ page }) => {
    const mine = newOrg('mine');
    const theirs = newOrg('theirs');
    const own = await pay(mine, 12345);
    const foreign = await pay(theirs, 999);
    await login(page, mine.email, mine.password);
    await page.goto(`/cabinet/operations/payments?open=${own.invoiceID}~1`);
    await page.waitForLoadState('networkidle');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('receipt').click()]);
    expect(download.suggestedFilename()).toContain(own.invoiceID);
    await page.goto(`/cabinet/operations/payments?open=${foreign.invoiceID}~1&invoice=${foreign.invoiceID}`);
    await expect(page.getByTestId('empty')).toBeVisible();
    await page.goto(`/cabinet/shops/${theirs.shopID}`);
    await expect(page.getByTestId('shop-error')).toBeVisible();
    const r = await page.request.get(`/cabinet/receipt/${foreign.invoiceID}/1`);
    expect(r.status()).toBe(404);
  });
});

test.describe('cabinet on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('operations fit the screen: the table scrolls inside its box, not the page', async ({ page }) => {
    const org = newOrg('phone');
    await pay(org, 4200);
    await login(page, org.email, org.password);
    await page.goto('/cabinet/operations/payments');
    await expect(page.getByTestId('payment-row')).toHaveCount(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await expect(page.getByTestId('filters')).toBeVisible();
  });
});
