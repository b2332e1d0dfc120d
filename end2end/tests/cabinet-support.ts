// Helpers for the merchant cabinet's browser tests: a fresh organisation per test (through the
// admin CLI, so lockouts and freezes never disturb other tests), payments through the
// Payments API, and the password-reset outbox.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, Page } from '@playwright/test';

export const ROOT = path.resolve(__dirname, '../..');
const BIN = process.env.DUCATPAY_E2E_BIN ?? path.join(ROOT, 'target/debug/ducatpay');
const DB_URL = process.env.DUCATPAY_E2E_DATABASE_URL;
/// Where the server writes e-mails when no SMTP is configured (`<data-dir>/outbox`).
export const OUTBOX = process.env.DUCATPAY_E2E_OUTBOX ?? path.join(ROOT, 'data/outbox');
export const BASE = process.env.DUCATPAY_BASE_URL ?? 'http://127.0.0.1:8080';

export type Org = { partyID: string; shopID: string; apiKey: string; email: string; password: string };

function admin(args: string[]): any {
  const db = DB_URL ? ['--database-url', DB_URL] : [];
  const out = execFileSync(BIN, ['admin', ...args, '--json', ...db], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out);
}

/// A new organisation with one shop, a known password and an API key.
export function newOrg(label: string): Org {
  const email = `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@e2e.example`;
  const password = 'e2e-password-1';
  const party = admin(['create-party', '--name', `E2E ${label}`, '--email', email, '--password', password]);
  const shop = admin([
    'create-shop', '--party-id', party.partyID, '--name', `Shop ${label}`, '--url', 'https://e2e.example',
    '--bank-name', 'Sandbox Bank', '--account', '40702810000000000009', '--bik', '044525225',
    '--corr-account', '30101810400000000225',
  ]);
  const key = admin(['issue-key', '--party-id', party.partyID]);
  return { partyID: party.partyID, shopID: shop.shopID, apiKey: key.apiKey, email, password };
}

let seq = 0;
async function api(method: string, p: string, bearer: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${BASE}/v2${p}`, {
    method,
    headers: {
      Authorization: `Bearer ${bearer}`,
      'X-Request-ID': `e2e${Date.now() % 1e9}${seq++}`,
      'Content-Type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

export async function createInvoice(org: Org, amount: number, externalID?: string) {
  const r = await api('POST', '/processing/invoices', org.apiKey, {
    shopID: org.shopID,
    dueDate: '2099-01-01T00:00:00Z',
    amount,
    currency: 'RUB',
    product: 'E2E order',
    metadata: {},
    ...(externalID ? { externalID } : {}),
  });
  return r;
}

/// Pays with a card through the API as the buyer's page would; returns the payment.
export async function payWithToken(invoiceID: string, token: string, card: string, hold = false) {
  const res = await api('POST', '/processing/payment-resources', token, {
    paymentTool: { paymentToolType: 'CardData', cardNumber: card, expDate: '12/30', cvv: '123', cardHolder: 'IVAN PETROV' },
    clientInfo: { fingerprint: 'e2e' },
  });
  expect(res.status).toBe(201);
  const pay = await api('POST', `/processing/invoices/${invoiceID}/payments`, token, {
    flow: hold ? { type: 'PaymentFlowHold', onHoldExpiration: 'cancel' } : { type: 'PaymentFlowInstant' },
    payer: {
      payerType: 'PaymentResourcePayer',
      paymentToolToken: res.json.paymentToolToken,
      paymentSession: res.json.paymentSession,
      contactInfo: { email: 'buyer@example.com' },
    },
  });
  expect(pay.status, JSON.stringify(pay.json)).toBe(201);
  return pay.json;
}

export async function pay(org: Org, amount: number, card = '4242424242424242', hold = false, externalID?: string) {
  const inv = await createInvoice(org, amount, externalID);
  expect(inv.status, JSON.stringify(inv.json)).toBe(201);
  const p = await payWithToken(inv.json.invoice.id, inv.json.invoiceAccessToken.payload, card, hold);
  return { invoiceID: inv.json.invoice.id as string, payment: p };
}

export async function getRefunds(org: Org, invoiceID: string) {
  return (await api('GET', `/processing/invoices/${invoiceID}/payments/1/refunds`, org.apiKey)).json;
}

export async function getPayment(org: Org, invoiceID: string) {
  return (await api('GET', `/processing/invoices/${invoiceID}/payments/1`, org.apiKey)).json;
}

export async function getInvoice(org: Org, invoiceID: string) {
  return (await api('GET', `/processing/invoices/${invoiceID}`, org.apiKey)).json;
}

/// Signs in through the form and waits for the shops page (hydrated).
export async function login(page: Page, email: string, password: string) {
  await page.goto('/cabinet/login');
  await page.waitForLoadState('networkidle');
  await page.getByLabel(/E-mail/).fill(email);
  await page.locator('#login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/cabinet\/shops/);
  await page.waitForLoadState('networkidle');
}

/// The newest outbox message addressed to `email`, waiting for it to appear.
export async function mailTo(email: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    if (fs.existsSync(OUTBOX)) {
      const files = fs.readdirSync(OUTBOX).filter((f) => f.endsWith('.eml')).sort().reverse();
      for (const f of files) {
        const text = fs.readFileSync(path.join(OUTBOX, f), 'utf8');
        if (text.includes(`To: ${email}`)) return text;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${email} in ${OUTBOX}`);
}
