import { APIRequestContext, Page, TestInfo, expect } from '@playwright/test';

// Credentials of the organisation the tests create invoices for. scripts/e2e.sh gets them from
// `ducatpay admin demo --json` (and a second, branded shop from `admin create-shop`).
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests through scripts/e2e.sh`);
  return v;
};
export const apiKey = () => env('DUCATPAY_E2E_API_KEY');
export const shopID = () => env('DUCATPAY_E2E_SHOP_ID');
export const brandedShopID = () => env('DUCATPAY_E2E_BRANDED_SHOP_ID');

export const CARDS = {
  success: '4242 4242 4242 4242',
  mir: '2201 3820 0000 0013',
  threeDs: '4012 8888 8888 1881',
  threeDsRefused: '4987 6543 2109 8769',
  insufficientFunds: '4000 0000 0000 0002',
  cvvInvalid: '4003 8301 7187 4018',
};

let seq = 0;
const requestID = () => `e2e-${Date.now()}-${++seq}`;

export type Invoice = { invoiceID: string; token: string };

/** createInvoice through the Payments API, as a merchant's server does. */
export async function createInvoice(request: APIRequestContext, shop = shopID()): Promise<Invoice> {
  const res = await request.post('/v2/processing/invoices', {
    headers: { Authorization: `Bearer ${apiKey()}`, 'X-Request-ID': requestID() },
    data: {
      shopID: shop,
      dueDate: new Date(Date.now() + 86_400_000).toISOString(),
      amount: 107000,
      currency: 'RUB',
      product: 'Заказ №1',
      description: 'Tea and a teapot',
      cart: [
        { product: 'Tea', quantity: 2, price: 25000 },
        { product: 'Teapot', quantity: 1, price: 57000 },
      ],
      metadata: { e2e: true },
    },
  });
  expect(res.status(), await res.text()).toBe(201);
  const body = await res.json();
  return { invoiceID: body.invoice.id, token: body.invoiceAccessToken.payload };
}

export function checkoutURL(inv: Invoice, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    invoiceID: inv.invoiceID,
    invoiceAccessToken: inv.token,
    email: 'buyer@example.com',
    locale: 'ru',
    initialPaymentMethod: 'bankCard',
    ...extra,
  });
  return `/v1/checkout.html?${q}`;
}

/** getPayments with the merchant's key: what the API says happened. */
export async function payments(request: APIRequestContext, invoiceID: string): Promise<any[]> {
  const res = await request.get(`/v2/processing/invoices/${invoiceID}/payments`, {
    headers: { Authorization: `Bearer ${apiKey()}`, 'X-Request-ID': requestID() },
  });
  expect(res.status()).toBe(200);
  return res.json();
}

export async function invoiceStatus(request: APIRequestContext, invoiceID: string): Promise<string> {
  const res = await request.get(`/v2/processing/invoices/${invoiceID}`, {
    headers: { Authorization: `Bearer ${apiKey()}`, 'X-Request-ID': requestID() },
  });
  expect(res.status()).toBe(200);
  return (await res.json()).status;
}

export const hasJS = (info: TestInfo) => info.project.use.javaScriptEnabled !== false;

/** Opens the checkout; with JavaScript, waits until the form's island is hydrated. */
export async function openCheckout(page: Page, url: string, info: TestInfo) {
  await page.goto(url);
  await expect(page.locator('#dp-number')).toBeVisible();
  if (hasJS(info)) await expect(page.locator('.dp-island[data-ready="true"]')).toHaveCount(1);
}

export async function fillCard(page: Page, number: string, opts: { exp?: string; cvc?: string; email?: string } = {}) {
  await page.getByLabel(/Номер карты|Card number/).fill(number);
  await page.getByLabel(/Месяц\/Год|Expiry/).fill(opts.exp ?? '12/30');
  await page.getByLabel('CVC/CVV').fill(opts.cvc ?? '123');
  if (opts.email !== undefined) await page.getByLabel(/почта|E-mail/).fill(opts.email);
}

/** Confirms or cancels on the sandbox issuer's 3-D Secure page. */
export async function answer3ds(page: Page, confirm: boolean) {
  await expect(page.getByTestId('acs-amount')).toBeVisible();
  await page.getByTestId(confirm ? 'acs-confirm' : 'acs-cancel').click();
}

export async function expectResult(page: Page, screen: string) {
  await expect(page.getByTestId('result')).toHaveAttribute('data-screen', screen);
}
