/*! DucatPay checkout.js: opens the hosted checkout over a merchant's page. No dependencies.
 *
 * Markup (inside the merchant's <form action="https://merchant/success" method="GET">):
 *   <script src="https://<ducatpay>/checkout.js" class="ducat-checkout"
 *     data-invoice-id="…" data-invoice-access-token="…" data-initial-payment-method="bankCard"
 *     data-email="…" data-locale="ru|en|auto" data-recurring="true"
 *     data-payment-flow-hold="true" data-hold-expiration="cancel|capture"
 *     data-pay-button-label="Оплатить"></script>
 * A pay button is inserted after the script. After a successful payment the overlay closes and
 * the enclosing form is submitted; closing without paying submits nothing.
 *
 * JS API: DucatCheckout.configure({invoiceID, invoiceAccessToken, email, locale, recurring,
 *   paymentFlowHold, holdExpiration, mode: 'auto'|'overlay'|'window',
 *   opened(), closed(), finished({invoiceID, paymentID})}).open()
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src, location.href) : new URL(location.href);
  var ORIGIN = base.origin;
  var PARAMS = ['invoiceID', 'invoiceAccessToken', 'email', 'locale', 'initialPaymentMethod', 'recurring',
    'paymentFlowHold', 'holdExpiration'];
  var READY_TIMEOUT = 10000;
  var active = null;

  function truthy(v) { return v === true || v === 'true' || v === '1'; }

  function link(cfg) {
    var u = new URL('/v1/checkout.html', ORIGIN);
    PARAMS.forEach(function (k) {
      var v = cfg[k];
      if (v === undefined || v === null || v === '' || v === false) return;
      u.searchParams.set(k, String(v));
    });
    if (!cfg.initialPaymentMethod) u.searchParams.set('initialPaymentMethod', 'bankCard');
    u.searchParams.set('parentOrigin', location.origin);
    return u.toString();
  }

  function el(tag, css, attrs) {
    var e = document.createElement(tag);
    if (css) e.style.cssText = css;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }

  function call(fn, arg) { if (typeof fn === 'function') { try { fn(arg); } catch (e) { setTimeout(function () { throw e; }); } } }

  function Checkout(cfg) { this.cfg = cfg || {}; }

  Checkout.prototype.open = function () {
    if (active) active.close(true);
    var cfg = this.cfg, self = this, url = link(cfg);
    this.url = url;
    this.done = false;
    this.readySeen = false;
    this.lastFocus = document.activeElement;
    active = this;
    var mode = cfg.mode || 'auto';
    var narrow = window.innerWidth < 480;
    if (mode === 'window' || (mode === 'auto' && narrow)) {
      this.popup = window.open(url, 'ducat-checkout');
      if (this.popup) {
        this.poll = setInterval(function () { if (self.popup.closed) self.close(); }, 400);
        return this;
      }
    }
    this.overlay(url);
    return this;
  };

  Checkout.prototype.overlay = function (url) {
    var self = this;
    var root = el('div', 'position:fixed;inset:0;z-index:2147483647;background:rgba(15,20,30,.6);' +
      'display:flex;align-items:center;justify-content:center', {
        'class': 'ducat-checkout-overlay', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'DucatPay'
      });
    var frame = el('iframe', 'border:0;width:100%;max-width:480px;height:100%;max-height:760px;background:#fff;' +
      'border-radius:14px', { src: url, title: 'DucatPay', allow: 'payment', 'class': 'ducat-checkout-frame' });
    var close = el('button', 'position:absolute;top:8px;right:8px;width:40px;height:40px;border-radius:50%;' +
      'border:0;background:#fff;color:#222;font:24px/40px sans-serif;cursor:pointer', {
        type: 'button', 'aria-label': 'Закрыть / Close', 'class': 'ducat-checkout-close'
      });
    close.textContent = '\u00d7';
    close.onclick = function () { self.close(); };
    root.appendChild(frame);
    root.appendChild(close);
    this.keys = function (e) { if (e.key === 'Escape') self.close(); };
    document.addEventListener('keydown', this.keys);
    this.bodyOverflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    document.body.appendChild(root);
    this.root = root;
    this.frame = frame;
    frame.focus();
    // No word from the page: the merchant's site may not frame it (its frame-ancestors policy).
    // Offer the same link in a new tab instead.
    this.timer = setTimeout(function () {
      if (self.readySeen || self.root !== root) return;
      var a = el('a', 'position:absolute;bottom:24px;left:50%;transform:translateX(-50%);background:#fff;' +
        'padding:12px 20px;border-radius:10px;font:16px sans-serif;color:#1f6feb', {
          href: url, target: 'ducat-checkout', rel: 'opener', 'class': 'ducat-checkout-newtab'
        });
      a.textContent = 'Открыть оплату в новой вкладке / Open the payment page in a new tab';
      a.onclick = function () {
        setTimeout(function () { self.closeOverlay(); }, 0);
        self.popup = window.open(url, 'ducat-checkout');
        if (self.popup) {
          self.poll = setInterval(function () { if (self.popup.closed) self.close(); }, 400);
          return false;
        }
        return true;
      };
      root.appendChild(a);
    }, READY_TIMEOUT);
  };

  Checkout.prototype.closeOverlay = function () {
    if (!this.root) return;
    clearTimeout(this.timer);
    document.removeEventListener('keydown', this.keys);
    this.root.parentNode && this.root.parentNode.removeChild(this.root);
    document.body.style.overflow = this.bodyOverflow || '';
    this.root = this.frame = null;
  };

  /** Closes the overlay or window; `silent` skips the `closed` callback (reopening). */
  Checkout.prototype.close = function (silent) {
    if (active !== this) return;
    active = null;
    clearInterval(this.poll);
    this.closeOverlay();
    if (this.popup && !this.popup.closed) this.popup.close();
    this.popup = null;
    if (this.lastFocus && this.lastFocus.focus) this.lastFocus.focus();
    if (!silent) call(this.cfg.closed);
  };

  Checkout.prototype.source = function () {
    return this.frame ? this.frame.contentWindow : this.popup;
  };

  window.addEventListener('message', function (e) {
    var c = active, d = e.data;
    if (!c || e.origin !== ORIGIN || !d || d.source !== 'ducat-checkout' || e.source !== c.source()) return;
    if (d.invoiceID && c.cfg.invoiceID && d.invoiceID !== c.cfg.invoiceID) return;
    if (d.type === 'ready' && !c.readySeen) {
      c.readySeen = true;
      call(c.cfg.opened);
    } else if (d.type === 'result' && d.status === 'success' && !c.done) {
      c.done = true;
      // Let the buyer see the success screen for a moment, then hand over to the merchant.
      setTimeout(function () {
        c.close(true);
        call(c.cfg.finished, { invoiceID: d.invoiceID, paymentID: d.paymentID });
      }, 1200);
    } else if (d.type === 'close') {
      c.close();
    }
  });

  if (!window.DucatCheckout) {
    window.DucatCheckout = {
      configure: function (cfg) { return new Checkout(cfg); },
      version: '1'
    };
  }

  // The markup form: a pay button after the script tag, inside the merchant's form.
  if (script && script.getAttribute('data-invoice-id')) {
    var a = function (name) { return script.getAttribute('data-' + name); };
    var cfg = {
      invoiceID: a('invoice-id'),
      invoiceAccessToken: a('invoice-access-token'),
      initialPaymentMethod: a('initial-payment-method') || 'bankCard',
      email: a('email'),
      locale: a('locale'),
      recurring: truthy(a('recurring')),
      paymentFlowHold: truthy(a('payment-flow-hold')),
      holdExpiration: a('hold-expiration')
    };
    var form = script.closest('form');
    var label = a('pay-button-label') || a('label') || (cfg.locale === 'en' ? 'Pay' : 'Оплатить');
    var button = el('button', '', { type: 'button', 'class': 'ducat-checkout-button' });
    button.textContent = label;
    cfg.finished = function () { if (form) form.submit(); };
    button.addEventListener('click', function () { window.DucatCheckout.configure(cfg).open(); });
    script.parentNode.insertBefore(button, script.nextSibling);
  }
})();
