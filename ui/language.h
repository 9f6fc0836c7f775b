// Language: installs the translation for a language setting ("" = the system's, "en", "zh_CN",
// "de") from the translations compiled into the binary (qt_add_translations, prefix /i18n).
// Installing a translator makes Qt send LanguageChange to every widget; each retranslates itself.
#pragma once

#include <QString>

namespace folio::ui {

// Returns the language actually used ("zh_CN", or "en" when there is no translation for it).
QString applyLanguage(const QString &setting);

} // namespace folio::ui
