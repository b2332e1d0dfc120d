//! The cabinet's two languages. Every visible string goes through [`t`]; the table keeps the
//! Russian and English texts side by side so a missing translation shows in review.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
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
        match s.trim() {
            "ru" => Some(Locale::Ru),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

/// `(key, ru, en)`.
const TEXTS: &[(&str, &str, &str)] = &[
    ("brand.tagline", "Личный кабинет", "Merchant cabinet"),
    ("login.title", "Вход в личный кабинет", "Sign in to the cabinet"),
    ("login.email", "E-mail", "E-mail"),
    ("login.password", "Пароль", "Password"),
    ("login.remember", "Запомнить меня", "Remember me"),
    ("login.submit", "Войти", "Sign in"),
    ("login.forgot", "Забыли пароль?", "Forgot password?"),
    ("login.bad", "Неверный e-mail или пароль.", "Wrong e-mail or password."),
    (
        "login.locked",
        "Слишком много неудачных попыток. Повторите через",
        "Too many failed attempts. Try again in",
    ),
    ("login.seconds", "сек.", "s"),
    (
        "login.blocked",
        "Организация заблокирована. Обратитесь в поддержку.",
        "The organisation is blocked. Please contact support.",
    ),
    ("login.working", "Входим…", "Signing in…"),
    ("reset.title", "Восстановление пароля", "Reset your password"),
    (
        "reset.intro",
        "Укажите e-mail организации — мы отправим ссылку для смены пароля.",
        "Enter your organisation's e-mail and we will send a link to set a new password.",
    ),
    ("reset.send", "Отправить ссылку", "Send the link"),
    (
        "reset.sent",
        "Если такой e-mail зарегистрирован, письмо со ссылкой уже отправлено. Ссылка действует 1 час.",
        "If this e-mail is registered, a message with the link is on its way. The link works for 1 hour.",
    ),
    ("reset.new", "Новый пароль", "New password"),
    ("reset.repeat", "Повторите пароль", "Repeat the password"),
    ("reset.save", "Сохранить пароль", "Save the password"),
    ("reset.mismatch", "Пароли не совпадают.", "The passwords differ."),
    (
        "reset.short",
        "Пароль — от 8 до 200 символов.",
        "The password must be 8 to 200 characters.",
    ),
    (
        "reset.done",
        "Пароль изменён. Войдите с новым паролем.",
        "Your password is changed. Sign in with the new one.",
    ),
    (
        "reset.invalid",
        "Ссылка недействительна, устарела или уже использована.",
        "The link is invalid, expired or already used.",
    ),
    ("reset.back", "Вернуться ко входу", "Back to sign-in"),
    ("nav.payments", "Платежи", "Payments"),
    ("nav.shops", "Магазины", "Shops"),
    ("nav.operations", "Операции", "Operations"),
    ("nav.logout", "Выйти", "Sign out"),
    ("nav.menu", "Меню кабинета", "Cabinet menu"),
    (
        "session.expired",
        "Сессия завершена. Войдите снова.",
        "Your session has ended. Please sign in again.",
    ),
    ("shops.title", "Магазины", "Shops"),
    (
        "shops.empty",
        "У организации пока нет магазинов.",
        "The organisation has no shops yet.",
    ),
    ("shops.active", "Работает", "Active"),
    ("shops.frozen", "Заморожен", "Frozen"),
    ("shops.blocked", "Заблокирован", "Blocked"),
    ("shop.details", "Детали магазина", "Shop details"),
    ("shop.name", "Название магазина", "Shop name"),
    ("shop.url", "URL адрес сайта", "Site URL"),
    ("shop.created", "Дата и время создания", "Created at"),
    ("shop.category", "Категория магазина", "Shop category"),
    ("shop.category.1", "Тестовая ТСП", "Test merchant"),
    ("shop.id", "Идентификатор магазина", "Shop identifier"),
    ("shop.copy", "Скопировать", "Copy"),
    ("shop.copied", "Скопировано", "Copied"),
    ("shop.contract", "Данные контракта", "Contract"),
    ("shop.legal_name", "Наименование юр. лица", "Legal name"),
    ("shop.inn", "ИНН", "INN (tax number)"),
    ("shop.ogrn", "ОГРН/ОГРНИП", "OGRN (registration number)"),
    ("shop.address", "Почтовый адрес места нахождения", "Postal address"),
    (
        "shop.rep_position",
        "Должность ЕИО/представителя",
        "Representative's position",
    ),
    ("shop.rep_name", "ФИО ЕИО/представителя", "Representative's full name"),
    (
        "shop.rep_document",
        "Документ ЕИО/представителя",
        "Representative's authority document",
    ),
    (
        "shop.no_contract",
        "Данные контракта ещё не внесены поддержкой.",
        "Support has not entered the contract data yet.",
    ),
    ("shop.bank", "Наименование банка", "Bank name"),
    ("shop.bik", "БИК", "BIK"),
    ("shop.corr", "Корр. счет", "Correspondent account"),
    ("shop.account", "Расчетный счет", "Settlement account"),
    ("shop.payout", "Средство вывода", "Payout means"),
    ("shop.currency", "Валюта", "Currency"),
    ("shop.fee", "Комиссия", "Commission"),
    ("shop.actions", "Действия", "Actions"),
    ("shop.freeze", "Заморозить магазин", "Freeze shop"),
    ("shop.unfreeze", "Разморозить магазин", "Unfreeze shop"),
    (
        "shop.freeze_hint",
        "Замороженный магазин не принимает новые инвойсы и платежи. Магазин из кабинета не удаляется.",
        "A frozen shop takes no new invoices or payments. Nothing is deleted.",
    ),
    ("shop.status", "Статус", "Status"),
    ("shop.back", "Все магазины", "All shops"),
    ("ops.title", "Операции", "Operations"),
    ("ops.tab.payments", "Платежи", "Payments"),
    ("ops.tab.invoices", "Инвойсы", "Invoices"),
    ("ops.tab.refunds", "Возвраты", "Refunds"),
    ("ops.period", "Период", "Period"),
    ("ops.period.today", "Сегодня", "Today"),
    ("ops.period.7d", "Последние 7 дней", "Last 7 days"),
    ("ops.period.30d", "Последние 30 дней", "Last 30 days"),
    ("ops.period.90d", "Последние 90 дней", "Last 90 days"),
    ("ops.period.365d", "Последний год", "Last year"),
    ("ops.period.custom", "Свой период", "Custom range"),
    ("ops.from", "С", "From"),
    ("ops.to", "По", "To"),
    ("ops.shop", "Магазин", "Shop"),
    ("ops.all_shops", "Все магазины", "All shops"),
    ("ops.invoice", "Инвойс", "Invoice"),
    ("ops.order", "Номер заказа", "Order number"),
    ("ops.status", "Статус", "Status"),
    ("ops.any", "Любой", "Any"),
    ("ops.card", "Карта", "Card"),
    ("ops.first6", "Первые 6 цифр", "First 6 digits"),
    ("ops.last4", "Последние 4 цифры", "Last 4 digits"),
    ("ops.more", "Другие фильтры", "More filters"),
    ("ops.email", "E-mail плательщика", "Payer e-mail"),
    ("ops.amount", "Сумма, ₽", "Amount, ₽"),
    ("ops.payment_id", "Номер платежа", "Payment number"),
    ("ops.apply", "Применить", "Apply"),
    ("ops.reset", "Сбросить", "Reset"),
    ("ops.updated", "Последнее обновление:", "Last updated:"),
    ("ops.just_now", "несколько секунд назад", "a few seconds ago"),
    ("ops.min_ago", "мин. назад", "min ago"),
    ("ops.refresh", "Обновить", "Refresh"),
    (
        "ops.empty",
        "За выбранный период операций нет.",
        "No operations in this period.",
    ),
    ("ops.next", "Следующая страница →", "Next page →"),
    ("ops.first", "← В начало", "← First page"),
    ("ops.loading", "Загрузка…", "Loading…"),
    ("ops.create_invoice", "Создать инвойс", "Create invoice"),
    ("ops.open", "Открыть карточку платежа", "Open the payment card"),
    ("col.amount", "Сумма", "Amount"),
    ("col.charged", "Сумма списания", "Amount charged"),
    ("col.status", "Статус", "Status"),
    ("col.order", "Номер заказа", "Order number"),
    ("col.changed", "Статус изменен", "Status changed"),
    ("col.shop", "Магазин", "Shop"),
    ("col.product", "Наименование", "Product"),
    ("col.cost", "Стоимость", "Cost"),
    ("col.created", "Создан", "Created"),
    ("col.refund_amount", "Сумма возврата", "Refund amount"),
    ("col.reason", "Причина", "Reason"),
    ("col.payment", "Платеж", "Payment"),
    ("col.card", "Карта", "Card"),
    ("pay.number", "Платеж №", "Payment #"),
    ("pay.amount", "Сумма платежа", "Payment amount"),
    ("pay.charged", "Сумма списания", "Amount charged"),
    ("pay.fee", "Комиссия", "Commission"),
    ("pay.net", "К зачислению", "Net"),
    ("pay.status", "Статус", "Status"),
    ("pay.history", "История статусов", "Status history"),
    ("pay.invoice", "Инвойс", "Invoice"),
    ("pay.payer", "Плательщик", "Payer"),
    ("pay.card", "Карта", "Card"),
    ("pay.error", "Причина отказа", "Failure reason"),
    ("pay.refunds", "Возвраты", "Refunds"),
    ("pay.no_refunds", "Возвратов нет", "No refunds"),
    ("pay.make_refund", "Совершить возврат", "Make refund"),
    ("pay.documents", "Документы", "Documents"),
    ("pay.download", "Скачать документ", "Download document"),
    (
        "pay.hold",
        "Платеж заблокирован на карте до",
        "The amount is held on the card until",
    ),
    ("pay.capture", "Подтвердить списание", "Capture"),
    ("pay.capture_partial", "Частичное списание", "Partial capture"),
    ("pay.capture_amount", "Сумма списания, ₽", "Amount to capture, ₽"),
    ("pay.cancel", "Отменить платеж", "Cancel payment"),
    (
        "pay.cancel_confirm",
        "Отменить блокировку средств на карте покупателя?",
        "Release the amount held on the buyer's card?",
    ),
    ("pay.close", "Свернуть", "Close"),
    ("pay.done", "Готово", "Done"),
    ("pay.flow.hold", "Двухстадийный", "Two-stage (hold)"),
    ("pay.flow.instant", "Одностадийный", "Instant"),
    ("refund.title", "Совершить возврат", "Make a refund"),
    ("refund.reason", "Причина возврата", "Refund reason"),
    ("refund.partial", "Частичный возврат", "Partial refund"),
    ("refund.amount", "Сумма возврата", "Refund amount"),
    ("refund.available", "Доступно к возврату:", "Available to refund:"),
    ("refund.confirm", "Подтвердить", "Confirm"),
    ("refund.close", "Закрыть", "Close"),
    (
        "refund.too_much",
        "Сумма больше доступной к возврату.",
        "The amount is more than is available to refund.",
    ),
    (
        "refund.bad_amount",
        "Укажите сумму, например 60 или 60,50.",
        "Enter an amount such as 60 or 60.50.",
    ),
    (
        "refund.reason_long",
        "Причина — не длиннее 100 символов.",
        "The reason must be at most 100 characters.",
    ),
    ("refund.done", "Возврат создан.", "The refund is created."),
    ("inv.title", "Создание инвойса", "Create an invoice"),
    ("inv.shop", "Магазин", "Shop"),
    ("inv.due", "Окончание срока действия инвойса", "Invoice due date"),
    (
        "inv.product",
        "Наименование предлагаемых товаров или услуг",
        "Product or service name",
    ),
    (
        "inv.description",
        "Описание предлагаемых товаров или услуг",
        "Description",
    ),
    ("inv.lines", "Список товаров и услуг", "Goods and services"),
    ("inv.line_product", "Описание", "Item"),
    ("inv.price", "Стоимость, ₽", "Price, ₽"),
    ("inv.quantity", "Количество", "Quantity"),
    ("inv.tax", "Схема налогообложения", "Tax mode"),
    ("inv.tax.none", "без НДС", "no VAT"),
    ("inv.add_line", "Добавить товар или услугу", "Add an item"),
    ("inv.remove_line", "Удалить", "Remove"),
    ("inv.total", "Итого товаров и услуг на сумму:", "Total:"),
    ("inv.clear", "Очистить форму", "Clear the form"),
    ("inv.submit", "Создать инвойс", "Create invoice"),
    (
        "inv.created",
        "Инвойс создан. Ссылка на оплату:",
        "The invoice is created. Payment link:",
    ),
    ("inv.another", "Создать ещё", "Create another"),
    (
        "inv.bad_line",
        "Проверьте строки: название, цена больше 0, количество от 1.",
        "Check the lines: a name, a price above 0, a quantity of 1 or more.",
    ),
    (
        "inv.required",
        "Заполните обязательные поля.",
        "Fill in the required fields.",
    ),
    ("status.pending", "В обработке", "Pending"),
    ("status.processed", "Обработан", "Processed"),
    ("status.captured", "Подтвержден", "Captured"),
    ("status.cancelled", "Отменен", "Cancelled"),
    ("status.refunded", "Возвращен", "Refunded"),
    ("status.failed", "Неуспешный", "Failed"),
    ("status.unpaid", "Не оплачен", "Unpaid"),
    ("status.paid", "Оплачен", "Paid"),
    ("status.fulfilled", "Выполнен", "Fulfilled"),
    ("status.succeeded", "Успешно", "Succeeded"),
    ("err.insufficient_funds", "Недостаточно средств", "Insufficient funds"),
    ("err.card_expired", "Срок действия карты истек", "Card expired"),
    ("err.cvv_invalid", "Неверный CVV/CVC", "Wrong CVV/CVC"),
    ("err.account_not_found", "Счет не найден", "Account not found"),
    ("err.issuer_not_found", "Банк-эмитент не найден", "Issuer not found"),
    ("err.unknown", "Неизвестная ошибка банка", "Unknown bank error"),
    (
        "err.preauthorization_failed",
        "3-D Secure не пройден",
        "3-D Secure failed",
    ),
    (
        "err.timeout",
        "Покупатель не завершил оплату",
        "The buyer did not finish paying",
    ),
    ("err.generic", "Не удалось выполнить действие.", "The action failed."),
    (
        "err.csrf",
        "Страница устарела. Обновите её и повторите.",
        "This page is out of date. Reload it and try again.",
    ),
    ("err.not_found", "Не найдено.", "Not found."),
    (
        "err.invalidShopStatus",
        "Магазин заморожен или заблокирован.",
        "The shop is frozen or blocked.",
    ),
    (
        "err.invalidPaymentStatus",
        "Платеж в этом статусе не допускает действие.",
        "The payment's status does not allow this.",
    ),
    (
        "err.invoicePaymentAmountExceeded",
        "Сумма больше доступной к возврату.",
        "The amount is more than is available to refund.",
    ),
    (
        "err.amountExceededCaptureBalance",
        "Сумма больше заблокированной.",
        "The amount is more than is held.",
    ),
    (
        "err.invalidDeadline",
        "Срок действия должен быть в будущем.",
        "The due date must be in the future.",
    ),
    (
        "err.invalidInvoiceCart",
        "Проверьте строки инвойса.",
        "Check the invoice lines.",
    ),
    (
        "err.operationNotPermitted",
        "Операция недоступна для этого платежа.",
        "This operation is not available for the payment.",
    ),
    ("lang.switch", "Язык", "Language"),
    ("common.yes", "Да", "Yes"),
    ("common.none", "—", "—"),
];

/// The text for `key` in `locale`; an unknown key shows itself (so a gap is visible).
pub fn t(locale: Locale, key: &'static str) -> &'static str {
    match TEXTS.iter().find(|(k, _, _)| *k == key) {
        Some((_, ru, en)) => match locale {
            Locale::Ru => ru,
            Locale::En => en,
        },
        None => key,
    }
}

/// A status key (`status.<name>`) for a status string from the engine.
pub fn status_text(locale: Locale, status: &str) -> String {
    let text = match status {
        "pending" => t(locale, "status.pending"),
        "processed" => t(locale, "status.processed"),
        "captured" => t(locale, "status.captured"),
        "cancelled" => t(locale, "status.cancelled"),
        "refunded" => t(locale, "status.refunded"),
        "failed" => t(locale, "status.failed"),
        "unpaid" => t(locale, "status.unpaid"),
        "paid" => t(locale, "status.paid"),
        "fulfilled" => t(locale, "status.fulfilled"),
        "succeeded" => t(locale, "status.succeeded"),
        other => return other.to_string(),
    };
    text.to_string()
}

/// A human reason for a payment error path such as `authorization_failed:insufficient_funds`.
pub fn payment_error_text(locale: Locale, path: &str) -> String {
    let leaf = path.rsplit(':').next().unwrap_or(path);
    let key = match leaf {
        "insufficient_funds" => "err.insufficient_funds",
        "card_expired" => "err.card_expired",
        "cvv_invalid" => "err.cvv_invalid",
        "account_not_found" => "err.account_not_found",
        "issuer_not_found" => "err.issuer_not_found",
        "timeout" | "interaction_timeout" => "err.timeout",
        _ if path.starts_with("preauthorization_failed") => "err.preauthorization_failed",
        _ => "err.unknown",
    };
    format!("{} ({path})", t(locale, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages_and_keys_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (k, ru, en) in TEXTS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!ru.is_empty() && !en.is_empty(), "{k}");
        }
    }

    #[test]
    fn unknown_keys_show_themselves() {
        assert_eq!(t(Locale::En, "login.submit"), "Sign in");
        assert_eq!(t(Locale::Ru, "login.submit"), "Войти");
        assert_eq!(t(Locale::Ru, "no.such"), "no.such");
    }
}
