//! Every text of the checkout in Russian and English, money formatting per locale, and the
//! human reasons for upstream's nested payment errors.

use crate::card::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Ru,
    En,
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        match s {
            "ru" => Some(Locale::Ru),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// `locale=ru|en` wins; `auto`, missing or unknown: the first of ru/en in Accept-Language
    /// (by quality), else Russian (the manual's default).
    pub fn resolve(param: Option<&str>, accept_language: Option<&str>) -> Locale {
        if let Some(l) = param.and_then(Locale::parse) {
            return l;
        }
        let mut best: Option<(f32, Locale)> = None;
        for part in accept_language.unwrap_or_default().split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = tag.split('-').next().unwrap_or_default();
            if let Some(l) = Locale::parse(lang) {
                if best.map(|(bq, _)| q > bq).unwrap_or(true) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Locale::Ru)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::Ru => &RU,
            Locale::En => &EN,
        }
    }
}

/// Amount in minor units as the locale writes money: `1 070,00 ₽` / `RUB 1,070.00`.
pub fn money(minor: i64, currency: &str, locale: Locale) -> String {
    let neg = minor < 0;
    let minor = minor.unsigned_abs();
    let units = (minor / 100).to_string();
    let cents = minor % 100;
    let sep = match locale {
        Locale::Ru => '\u{a0}',
        Locale::En => ',',
    };
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let sign = if neg { "-" } else { "" };
    match locale {
        Locale::Ru => {
            let sym = if currency == "RUB" { "₽" } else { currency };
            format!("{sign}{grouped},{cents:02}\u{a0}{sym}")
        }
        Locale::En => format!("{currency}\u{a0}{sign}{grouped}.{cents:02}"),
    }
}

pub struct Texts {
    pub title: &'static str,
    pub pay_by_card: &'static str,
    pub card_number: &'static str,
    pub expiry: &'static str,
    pub expiry_placeholder: &'static str,
    pub cvc: &'static str,
    pub holder: &'static str,
    pub email: &'static str,
    pub details: &'static str,
    pub invoice: &'static str,
    pub quantity: &'static str,
    pub total: &'static str,
    /// Followed by the amount.
    pub pay: &'static str,
    pub offer: &'static str,
    pub recurring_consent: &'static str,
    pub hold_note_cancel: &'static str,
    pub hold_note_capture: &'static str,
    pub processing: &'static str,
    pub success_title: &'static str,
    pub held_title: &'static str,
    pub success_line: &'static str,
    pub failed_title: &'static str,
    pub try_again: &'static str,
    pub back_to_shop: &'static str,
    pub pending_title: &'static str,
    pub pending_line: &'static str,
    pub continue_3ds: &'static str,
    pub paid_title: &'static str,
    pub paid_line: &'static str,
    pub cancelled_title: &'static str,
    pub cancelled_line: &'static str,
    pub overdue_title: &'static str,
    pub overdue_line: &'static str,
    pub bad_link_title: &'static str,
    pub bad_link_line: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_line: &'static str,
    pub shop: &'static str,
    pub amount: &'static str,
    pub secure_note: &'static str,
    pub fix_errors: &'static str,
    pub err_required: &'static str,
    pub err_number_length: &'static str,
    pub err_number_luhn: &'static str,
    pub err_expiry_format: &'static str,
    pub err_expiry_past: &'static str,
    pub err_cvc: &'static str,
    pub err_holder: &'static str,
    pub err_email: &'static str,
    pub reason_insufficient_funds: &'static str,
    pub reason_card_expired: &'static str,
    pub reason_cvv: &'static str,
    pub reason_3ds: &'static str,
    pub reason_not_found: &'static str,
    pub reason_unsupported: &'static str,
    pub reason_unavailable: &'static str,
    pub reason_declined: &'static str,
    pub reason_busy: &'static str,
    pub reason_network: &'static str,
}

impl Texts {
    pub fn field_error(&self, e: FieldError) -> &'static str {
        match e {
            FieldError::Required => self.err_required,
            FieldError::NumberLength => self.err_number_length,
            FieldError::NumberLuhn => self.err_number_luhn,
            FieldError::ExpiryFormat => self.err_expiry_format,
            FieldError::ExpiryPast => self.err_expiry_past,
            FieldError::Cvc => self.err_cvc,
            FieldError::Holder => self.err_holder,
            FieldError::Email => self.err_email,
        }
    }

    /// A human reason for upstream's nested error, given as its colon path
    /// (`authorization_failed:payment_tool_rejected:bank_card_rejected:cvv_invalid`).
    pub fn payment_reason(&self, path: &str) -> &'static str {
        let codes: Vec<&str> = path.split(':').collect();
        if codes.contains(&"preauthorization_failed") {
            return self.reason_3ds;
        }
        match codes.last().copied().unwrap_or_default() {
            "insufficient_funds" => self.reason_insufficient_funds,
            "card_expired" => self.reason_card_expired,
            "cvv_invalid" => self.reason_cvv,
            "account_not_found" => self.reason_not_found,
            "issuer_not_found" => self.reason_unsupported,
            "temporarily_unavailable" => self.reason_unavailable,
            _ => self.reason_declined,
        }
    }
}

pub static RU: Texts = Texts {
    title: "Оплата",
    pay_by_card: "Оплата банковской картой",
    card_number: "Номер карты",
    expiry: "Месяц/Год",
    expiry_placeholder: "ММ/ГГ",
    cvc: "CVC/CVV",
    holder: "Имя владельца карты",
    email: "Электронная почта для чека",
    details: "Детали платежа",
    invoice: "Счёт",
    quantity: "Кол-во",
    total: "Итого",
    pay: "Оплатить",
    offer: "Нажимая кнопку «Оплатить», я соглашаюсь с условиями оферты",
    recurring_consent: "Запомнить карту для автоматических платежей этого магазина",
    hold_note_cancel: "Сумма будет заблокирована на карте до подтверждения заказа магазином; если магазин его не подтвердит, деньги вернутся.",
    hold_note_capture: "Сумма будет заблокирована на карте и списана при подтверждении заказа магазином.",
    processing: "Платёж обрабатывается…",
    success_title: "Оплата прошла успешно",
    held_title: "Сумма заблокирована на карте",
    success_line: "Спасибо! Магазин получил подтверждение оплаты.",
    failed_title: "Платёж не прошёл",
    try_again: "Оплатить другой картой",
    back_to_shop: "Вернуться в магазин",
    pending_title: "Платёж обрабатывается",
    pending_line: "Банк ещё не ответил. Обновите страницу через минуту.",
    continue_3ds: "Продолжить подтверждение в банке",
    paid_title: "Счёт уже оплачен",
    paid_line: "Повторная оплата не нужна.",
    cancelled_title: "Счёт отменён",
    cancelled_line: "Оплатить этот счёт нельзя. Обратитесь в магазин.",
    overdue_title: "Срок оплаты счёта истёк",
    overdue_line: "Оплатить этот счёт нельзя. Вернитесь в магазин и оформите заказ заново.",
    bad_link_title: "Ссылка на оплату недействительна",
    bad_link_line: "Ссылка неполная или устарела. Вернитесь в магазин и начните оплату снова.",
    unavailable_title: "Магазин временно не принимает платежи",
    unavailable_line: "Попробуйте позже или обратитесь в магазин.",
    shop: "Магазин",
    amount: "Сумма",
    secure_note: "Данные карты передаются по защищённому соединению и не хранятся у магазина.",
    fix_errors: "Проверьте выделенные поля.",
    err_required: "Заполните поле",
    err_number_length: "Номер карты — от 12 до 19 цифр",
    err_number_luhn: "Проверьте номер карты: в нём ошибка",
    err_expiry_format: "Укажите месяц и год в виде ММ/ГГ",
    err_expiry_past: "Срок действия карты истёк",
    err_cvc: "CVC/CVV — 3 или 4 цифры с обратной стороны карты",
    err_holder: "Имя латиницей, как на карте",
    err_email: "Проверьте адрес электронной почты",
    reason_insufficient_funds: "Недостаточно средств на карте.",
    reason_card_expired: "Срок действия карты истёк.",
    reason_cvv: "Неверный код CVC/CVV.",
    reason_3ds: "Платёж не подтверждён банком (3-D Secure).",
    reason_not_found: "Банк не нашёл счёт этой карты.",
    reason_unsupported: "Эта карта не поддерживается.",
    reason_unavailable: "Банк временно недоступен. Попробуйте позже.",
    reason_declined: "Банк отклонил платёж.",
    reason_busy: "По этому счёту уже идёт платёж. Дождитесь его завершения.",
    reason_network: "Нет связи с сервером. Проверьте подключение и попробуйте снова.",
};

pub static EN: Texts = Texts {
    title: "Payment",
    pay_by_card: "Pay by card",
    card_number: "Card number",
    expiry: "Expiry (MM/YY)",
    expiry_placeholder: "MM/YY",
    cvc: "CVC/CVV",
    holder: "Cardholder name",
    email: "E-mail for the receipt",
    details: "Payment details",
    invoice: "Invoice",
    quantity: "Qty",
    total: "Total",
    pay: "Pay",
    offer: "By pressing “Pay” I accept the terms of the offer",
    recurring_consent: "Remember this card for automatic payments to this shop",
    hold_note_cancel:
        "The amount will be held on your card until the shop confirms the order; if it does not, the money is released.",
    hold_note_capture: "The amount will be held on your card and charged when the shop confirms the order.",
    processing: "Processing the payment…",
    success_title: "Payment successful",
    held_title: "The amount is held on your card",
    success_line: "Thank you! The shop has been told about your payment.",
    failed_title: "Payment failed",
    try_again: "Try another card",
    back_to_shop: "Back to the shop",
    pending_title: "Payment in progress",
    pending_line: "The bank has not answered yet. Reload this page in a minute.",
    continue_3ds: "Continue the bank's confirmation",
    paid_title: "This invoice is already paid",
    paid_line: "No need to pay again.",
    cancelled_title: "This invoice is cancelled",
    cancelled_line: "It can no longer be paid. Please contact the shop.",
    overdue_title: "This invoice has expired",
    overdue_line: "It can no longer be paid. Go back to the shop and place the order again.",
    bad_link_title: "This payment link is not valid",
    bad_link_line: "The link is incomplete or has expired. Go back to the shop and start the payment again.",
    unavailable_title: "The shop does not accept payments right now",
    unavailable_line: "Please try later or contact the shop.",
    shop: "Shop",
    amount: "Amount",
    secure_note: "Card details travel over a secure connection and never reach the shop.",
    fix_errors: "Please check the highlighted fields.",
    err_required: "Please fill this in",
    err_number_length: "A card number has 12 to 19 digits",
    err_number_luhn: "This card number has a typo",
    err_expiry_format: "Enter the month and year as MM/YY",
    err_expiry_past: "This card has expired",
    err_cvc: "CVC/CVV is the 3 or 4 digits on the back of the card",
    err_holder: "The name in Latin letters, as on the card",
    err_email: "Please check the e-mail address",
    reason_insufficient_funds: "Insufficient funds on the card.",
    reason_card_expired: "The card has expired.",
    reason_cvv: "The CVC/CVV code is wrong.",
    reason_3ds: "The bank did not confirm the payment (3-D Secure failed).",
    reason_not_found: "The bank does not know this card's account.",
    reason_unsupported: "This card is not supported.",
    reason_unavailable: "The bank is temporarily unavailable. Please try later.",
    reason_declined: "The bank declined the payment.",
    reason_busy: "A payment on this invoice is already in progress. Please wait for it to finish.",
    reason_network: "No connection to the server. Check your connection and try again.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_both_locales() {
        assert_eq!(money(107_000, "RUB", Locale::Ru), "1\u{a0}070,00\u{a0}₽");
        assert_eq!(money(107_000, "RUB", Locale::En), "RUB\u{a0}1,070.00");
        assert_eq!(money(5, "RUB", Locale::En), "RUB\u{a0}0.05");
        assert_eq!(money(123_456_789, "RUB", Locale::Ru), "1\u{a0}234\u{a0}567,89\u{a0}₽");
    }

    #[test]
    fn locale_from_param_or_accept_language() {
        assert_eq!(Locale::resolve(Some("en"), Some("ru")), Locale::En);
        assert_eq!(
            Locale::resolve(Some("auto"), Some("en-US,en;q=0.9,ru;q=0.8")),
            Locale::En
        );
        assert_eq!(
            Locale::resolve(Some("auto"), Some("de-DE,ru;q=0.5,en;q=0.4")),
            Locale::Ru
        );
        assert_eq!(Locale::resolve(None, Some("fr")), Locale::Ru);
        assert_eq!(Locale::resolve(Some("auto"), None), Locale::Ru);
    }

    #[test]
    fn reasons_for_upstream_errors() {
        let t = &EN;
        assert_eq!(
            t.payment_reason("authorization_failed:insufficient_funds"),
            t.reason_insufficient_funds
        );
        assert_eq!(
            t.payment_reason("authorization_failed:payment_tool_rejected:bank_card_rejected:cvv_invalid"),
            t.reason_cvv
        );
        assert_eq!(
            t.payment_reason("authorization_failed:payment_tool_rejected:bank_card_rejected:card_expired"),
            t.reason_card_expired
        );
        assert_eq!(t.payment_reason("preauthorization_failed:unknown"), t.reason_3ds);
        assert_eq!(t.payment_reason("authorization_failed:unknown"), t.reason_declined);
    }
}
