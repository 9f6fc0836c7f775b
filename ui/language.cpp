// applyLanguage(): one application-wide QTranslator, replaced on every switch.
#include "ui/language.h"

#include "ui/log_category.h"

#include <QCoreApplication>
#include <QLocale>
#include <QTranslator>

namespace folio::ui {

QString applyLanguage(const QString &setting)
{
    static QTranslator *translator = nullptr;
    if (translator) {
        QCoreApplication::removeTranslator(translator);
        delete translator;
        translator = nullptr;
    }
    const QLocale locale = setting.isEmpty() ? QLocale::system() : QLocale(setting);
    if (locale.language() == QLocale::English || setting == QLatin1String("en"))
        return QStringLiteral("en");
    auto *candidate = new QTranslator;
    // Tries folio_zh_CN.qm, then folio_zh.qm (QTranslator walks the locale's UI languages).
    if (!candidate->load(locale, QStringLiteral("folio"), QStringLiteral("_"),
                         QStringLiteral(":/i18n"))) {
        qCInfo(lcUi) << "no translation for" << locale.name() << "- using English";
        delete candidate;
        return QStringLiteral("en");
    }
    translator = candidate;
    QCoreApplication::installTranslator(translator);
    return locale.name();
}

} // namespace folio::ui
