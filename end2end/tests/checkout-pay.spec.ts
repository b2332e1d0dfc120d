import { expect, test } from '@playwright/test';
import {
  CARDS,
  answer3ds,
  checkoutURL,
  createInvoice,
  expectResult,
  fillCard,
  hasJS,
  invoiceStatus,
  openCheckout,
  payments,
} from './support/checkout';

// Every test pays through the page, then asks the Payments API what really happened.
test.describe('hosted checkout', () => {
  test('a success card pays at once: captured, invoice paid', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv), info);
    await expect(page.getByRole('heading', { name: 'Оплата банковской картой' })).toBeVisible();
    await fillCard(page, CARDS.success);
    if (hasJS(info)) await expect(page.getByTestId('brand')).toHaveText('Visa');
    await page.getByTestId('pay').click();
    await expectResult(page, 'success');
    await expect(page.getByTestId('result-title')).toHaveText('Оплата прошла успешно');
    await expect(page.getByTestId('result-amount')).toHaveText('1 070,00 ₽');
    await expect(page.getByTestId('result-invoice')).toHaveText(inv.invoiceID);

    const [p] = await payments(request, inv.invoiceID);
    expect(p.status).toBe('captured');
    expect(p.flow.type).toBe('PaymentFlowInstant');
    expect(p.makeRecurrent).toBe(false);
    expect(p.payer.contactInfo.email).toBe('buyer@example.com');
    expect(await invoiceStatus(request, inv.invoiceID)).toBe('paid');
  });

  test('3-D Secure confirmed: issuer page, back to the checkout, captured', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv), info);
    await fillCard(page, CARDS.threeDs);
    await page.getByTestId('pay').click();
    await answer3ds(page, true);
    await expect(page).toHaveURL(/\/v1\/checkout\.html\?.*return=1/);
    await expectResult(page, 'success');

    const [p] = await payments(request, inv.invoiceID);
    expect(p.status).toBe('captured');
    expect(p.userInteraction).toBeUndefined();
  });

  test('3-D Secure refused: the reason in the buyer language, payment failed', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv, { locale: 'en' }), info);
    await fillCard(page, CARDS.threeDsRefused);
    await page.getByTestId('pay').click();
    await answer3ds(page, true);
    await expectResult(page, 'failed');
    await expect(page.getByTestId('result-title')).toHaveText('Payment failed');
    await expect(page.getByTestId('result-line')).toContainText('3-D Secure');

    const [p] = await payments(request, inv.invoiceID);
    expect(p.status).toBe('failed');
    expect(p.error.code).toBe('preauthorization_failed');
    expect(await invoiceStatus(request, inv.invoiceID)).toBe('unpaid');
  });

  test('a declined card shows why, then another card pays', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv), info);
    await fillCard(page, CARDS.insufficientFunds);
    await page.getByTestId('pay').click();
    await expectResult(page, 'failed');
    await expect(page.getByTestId('result-line')).toHaveText('Недостаточно средств на карте.');

    await page.getByTestId('try-again').click();
    await expect(page.locator('#dp-number')).toHaveValue('');
    await fillCard(page, CARDS.mir);
    if (hasJS(info)) await expect(page.getByTestId('brand')).toHaveText('МИР');
    await page.getByTestId('pay').click();
    await expectResult(page, 'success');

    const list = await payments(request, inv.invoiceID);
    expect(list.map((p) => p.status)).toEqual(['failed', 'captured']);
    expect(list[0].error).toEqual({ code: 'authorization_failed', subError: { code: 'insufficient_funds' } });
    expect(list[1].payer.paymentToolDetails.paymentSystem).toBe('mir');
  });

  test('a wrong CVC is named as the reason', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv, { locale: 'en' }), info);
    await fillCard(page, CARDS.cvvInvalid);
    await page.getByTestId('pay').click();
    await expectResult(page, 'failed');
    await expect(page.getByTestId('result-line')).toHaveText('The CVC/CVV code is wrong.');
    const [p] = await payments(request, inv.invoiceID);
    expect(p.status).toBe('failed');
  });

  test('a hold link makes a held payment with its expiry policy', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv, { paymentFlowHold: 'true', holdExpiration: 'capture' }), info);
    await expect(page.getByTestId('hold-note')).toContainText('списана');
    await fillCard(page, CARDS.success);
    await page.getByTestId('pay').click();
    await expectResult(page, 'held');
    await expect(page.getByTestId('result-title')).toHaveText('Сумма заблокирована на карте');

    const [p] = await payments(request, inv.invoiceID);
    expect(p.status).toBe('processed');
    expect(p.flow.type).toBe('PaymentFlowHold');
    expect(p.flow.onHoldExpiration).toBe('capture');
    expect(await invoiceStatus(request, inv.invoiceID)).toBe('unpaid');
  });

  test('recurring: with consent the card is remembered, without it the payment is plain', async ({ page, request }, info) => {
    for (const consent of [true, false]) {
      const inv = await createInvoice(request);
      await openCheckout(page, checkoutURL(inv, { recurring: 'true' }), info);
      const box = page.getByTestId('recurring-consent');
      await expect(box).not.toBeChecked();
      if (consent) await box.check();
      await fillCard(page, CARDS.success);
      await page.getByTestId('pay').click();
      await expectResult(page, 'success');
      const [p] = await payments(request, inv.invoiceID);
      expect(p.status).toBe('captured');
      expect(p.makeRecurrent).toBe(consent);
    }
  });

  test('locale ru, en and auto (Accept-Language) translate the page and the amount', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv, { locale: 'ru' }), info);
    await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
    await expect(page.getByTestId('pay')).toHaveText('Оплатить 1 070,00 ₽');
    await expect(page.getByText('Детали платежа')).toBeVisible();
    await expect(page.getByText('Нажимая кнопку «Оплатить», я соглашаюсь с условиями оферты')).toBeVisible();

    await openCheckout(page, checkoutURL(inv, { locale: 'en' }), info);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByTestId('pay')).toHaveText('Pay RUB 1,070.00');
    await expect(page.getByRole('heading', { name: 'Pay by card' })).toBeVisible();
    await expect(page.getByText('Payment details')).toBeVisible();

    // auto: the browser's own Accept-Language (Playwright's default en-US) picks English…
    await openCheckout(page, checkoutURL(inv, { locale: 'auto' }), info);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByTestId('pay')).toHaveText('Pay RUB 1,070.00');
    // …and a Russian-speaking browser gets Russian.
    const ru = await request.get(checkoutURL(inv, { locale: 'auto' }), {
      headers: { 'Accept-Language': 'ru-RU,ru;q=0.9,en;q=0.5' },
    });
    expect(await ru.text()).toContain('Оплатить 1\u00a0070,00\u00a0₽');

    // Paying from the auto (English) page gives English reasons.
    await fillCard(page, CARDS.insufficientFunds);
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('result-line')).toHaveText('Insufficient funds on the card.');
    expect((await payments(request, inv.invoiceID)).map((p) => p.status)).toEqual(['failed']);
  });

  test('payment details list the cart; an already paid invoice shows that instead of a form', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv), info);
    await page.getByText('Детали платежа').click();
    const details = page.getByTestId('details');
    await expect(details).toContainText('Tea');
    await expect(details).toContainText('2 × 250,00 ₽');
    await expect(details).toContainText('Teapot');
    await fillCard(page, CARDS.success);
    await page.getByTestId('pay').click();
    await expectResult(page, 'success');

    await page.goto(checkoutURL(inv));
    await expect(page.getByTestId('state')).toHaveAttribute('data-state', 'paid');
    await expect(page.getByTestId('state-title')).toHaveText('Счёт уже оплачен');
    await expect(page.locator('#dp-number')).toHaveCount(0);
    expect((await payments(request, inv.invoiceID)).length).toBe(1);
  });

  test('a double click on Pay makes one payment', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv), info);
    await fillCard(page, CARDS.insufficientFunds);
    // A declined card frees the invoice again, so only the checkout's guard stops a second debit.
    await page.getByTestId('pay').dblclick();
    await expectResult(page, 'failed');
    const list = await payments(request, inv.invoiceID);
    expect(list.length).toBe(1);
    expect(list[0].status).toBe('failed');
  });

  test('invalid input is refused with messages next to the fields, nothing is paid', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv, { locale: 'en' }), info);
    await fillCard(page, '4242 4242 4242 4241', { exp: '01/20', cvc: '12', email: 'nope' });
    await page.getByTestId('pay').click();
    await expect(page.locator('#dp-number-err')).toHaveText('This card number has a typo');
    await expect(page.locator('#dp-expiry-err')).toHaveText('This card has expired');
    await expect(page.locator('#dp-cvc-err')).toHaveText('CVC/CVV is the 3 or 4 digits on the back of the card');
    await expect(page.locator('#dp-email-err')).toHaveText('Please check the e-mail address');
    await expect(page.locator('#dp-number')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('form-error')).toBeVisible();
    expect(await payments(request, inv.invoiceID)).toEqual([]);

    // Fixing the fields lets the same form pay.
    await fillCard(page, CARDS.success, { email: 'buyer@example.com' });
    await page.getByTestId('pay').click();
    await expectResult(page, 'success');
    expect((await payments(request, inv.invoiceID)).map((p) => p.status)).toEqual(['captured']);
  });

  test('the form is accessible: labels, autocomplete and keyboard submission', async ({ page, request }, info) => {
    const inv = await createInvoice(request);
    await openCheckout(page, checkoutURL(inv), info);
    await expect(page.getByLabel('Номер карты')).toHaveAttribute('autocomplete', 'cc-number');
    await expect(page.getByLabel('Месяц/Год')).toHaveAttribute('autocomplete', 'cc-exp');
    await expect(page.getByLabel('CVC/CVV')).toHaveAttribute('autocomplete', 'cc-csc');
    await expect(page.getByLabel('CVC/CVV')).toHaveAttribute('type', 'password');
    await expect(page.getByLabel('Электронная почта для чека')).toHaveValue('buyer@example.com');
    await page.getByLabel('Номер карты').focus();
    await page.keyboard.type(CARDS.success.replace(/ /g, ''));
    await page.keyboard.press('Tab');
    await page.keyboard.type('1230');
    await page.keyboard.press('Tab');
    await page.keyboard.type('123');
    if (hasJS(info)) {
      await expect(page.getByLabel('Номер карты')).toHaveValue(CARDS.success);
      await expect(page.getByLabel('Месяц/Год')).toHaveValue('12/30');
    }
    await page.keyboard.press('Enter');
    // Without JavaScript "1230" reaches the server unmasked and is refused with a message.
    if (!hasJS(info)) {
      await expect(page.locator('#dp-expiry-err')).toHaveText('Укажите месяц и год в виде ММ/ГГ');
      await page.getByLabel('Месяц/Год').fill('12/30');
      await page.getByLabel('CVC/CVV').fill('123');
      await page.getByLabel('CVC/CVV').press('Enter');
    }
    await expectResult(page, 'success');
    expect((await payments(request, inv.invoiceID))[0].status).toBe('captured');
  });
});
