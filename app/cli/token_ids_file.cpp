// Reads a token-id file for the commands that take --tokens FILE (see token_ids_file.h).
#include "app/cli/token_ids_file.h"

#include <QFile>
#include <QList>

#include <cstdio>

namespace folio::cli {

bool readTokenIdsFile(const QString &path, std::vector<int> *ids, QString *error)
{
    QFile f;
    const bool ok = path == QLatin1String("-") ? f.open(stdin, QIODevice::ReadOnly)
                                               : (f.setFileName(path), f.open(QIODevice::ReadOnly));
    if (!ok) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    const QList<QByteArray> words = f.readAll().simplified().split(' ');
    for (const QByteArray &w : words) {
        if (w.isEmpty())
            continue;
        bool okNum = false;
        const int v = w.toInt(&okNum);
        if (!okNum) {
            *error = QStringLiteral("%1: not a token id: %2").arg(path, QString::fromUtf8(w));
            return false;
        }
        ids->push_back(v);
    }
    if (ids->empty()) {
        *error = QStringLiteral("%1: no token ids").arg(path);
        return false;
    }
    return true;
}

} // namespace folio::cli
