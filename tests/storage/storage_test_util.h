// Helpers shared by the storage tests: deterministic pseudo-random payloads (so a restored state
// can be compared byte for byte without keeping a copy), a snapshot writer/reader round trip, and
// a schema signature for comparing databases.
#pragma once

#include "storage/database.h"
#include "storage/snapshot_store.h"
#include "storage/types.h"

#include <QByteArray>
#include <QStringList>

#include <sqlite3.h>

#include <cstdint>
#include <vector>

namespace storage_test {

inline folio::storage::Session titled(const QString &title)
{
    folio::storage::Session s;
    s.title = title;
    return s;
}

// Byte `i` of the payload of seed `seed`: splitmix64 over (seed, i / 8).
inline void fillPattern(char *out, size_t size, uint64_t seed, uint64_t offset)
{
    for (size_t i = 0; i < size; ++i) {
        const uint64_t pos = offset + i;
        uint64_t z = seed * 0x9e3779b97f4a7c15ull + (pos >> 3) + 1;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        out[i] = char(z >> ((pos & 7) * 8));
    }
}

inline folio::storage::SnapshotKey keyFor(uint64_t seed, qint64 tokens = 1000)
{
    std::vector<int32_t> ids(static_cast<size_t>(tokens));
    for (size_t i = 0; i < ids.size(); ++i)
        ids[i] = int32_t((seed * 7919 + i * 31) % 129280);
    return {QStringLiteral("fp-test-model"), 1, folio::storage::prefixHash(ids), tokens};
}

// Writes `size` pattern bytes of `seed` in pieces of `piece` bytes; returns the committed info or
// the failure.
inline folio::storage::Result<folio::storage::SnapshotInfo> writeSnapshot(
    folio::storage::SnapshotStore &store, folio::storage::SnapshotInfo meta, qint64 size,
    uint64_t seed, const folio::storage::SnapshotWriteOptions &options = {}, size_t piece = 100000)
{
    auto w = store.beginWrite(meta, options);
    if (!w.ok())
        return w.status();
    std::vector<char> buf(piece);
    for (qint64 off = 0; off < size;) {
        const size_t n = size_t(std::min<qint64>(qint64(piece), size - off));
        fillPattern(buf.data(), n, seed, uint64_t(off));
        if (auto s = (*w)->write(buf.data(), n); !s.ok())
            return s;
        off += qint64(n);
    }
    return (*w)->commit();
}

// Reads snapshot `id` back through openForRestore and compares it with the pattern of `seed`.
// Returns an empty string when it matches, otherwise what went wrong.
inline QString checkSnapshot(folio::storage::SnapshotStore &store, qint64 id,
                             const folio::storage::SnapshotKey &key, qint64 size, uint64_t seed,
                             size_t piece = 65536)
{
    auto r = store.openForRestore(id, key);
    if (!r.ok())
        return r.status().message();
    std::vector<char> buf(piece), want(piece);
    qint64 off = 0;
    for (;;) {
        auto n = (*r)->read(buf.data(), buf.size());
        if (!n.ok())
            return n.status().message();
        if (*n == 0)
            break;
        fillPattern(want.data(), *n, seed, uint64_t(off));
        if (memcmp(buf.data(), want.data(), *n) != 0)
            return QStringLiteral("bytes differ in [%1, %2)").arg(off).arg(off + qint64(*n));
        off += qint64(*n);
    }
    if (off != size)
        return QStringLiteral("read %1 bytes, expected %2").arg(off).arg(size);
    return {};
}

// Every object of the schema with its columns/index columns; CREATE text only for indexes and
// triggers (ALTER TABLE rewrites a table's stored text, so tables are compared by table_xinfo).
inline QStringList schemaSignature(sqlite3 *db)
{
    QStringList out;
    auto rows = [db](const QByteArray &sql) {
        std::vector<QStringList> result;
        sqlite3_stmt *st = nullptr;
        if (sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr) != SQLITE_OK)
            return result;
        while (sqlite3_step(st) == SQLITE_ROW) {
            QStringList r;
            for (int c = 0; c < sqlite3_column_count(st); ++c) {
                const auto *t = reinterpret_cast<const char *>(sqlite3_column_text(st, c));
                r << (t ? QString::fromUtf8(t) : QStringLiteral("NULL"));
            }
            result.push_back(r);
        }
        sqlite3_finalize(st);
        return result;
    };
    for (const QStringList &obj :
         rows("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
              "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")) {
        const QString type = obj[0], name = obj[1];
        out << QStringLiteral("%1 %2 on %3").arg(type, name, obj[2]);
        if (type == QLatin1String("index") || type == QLatin1String("trigger"))
            out << QStringLiteral("  sql ") + obj[3].simplified();
        if (type == QLatin1String("table")) {
            for (const QStringList &c : rows("PRAGMA table_xinfo(\"" + name.toUtf8() + "\")"))
                out << QStringLiteral("  column ") + c.join(QLatin1Char('|'));
            for (const QStringList &fk : rows("PRAGMA foreign_key_list(\"" + name.toUtf8() + "\")"))
                out << QStringLiteral("  fk ") + fk.mid(2).join(QLatin1Char('|'));
        }
        if (type == QLatin1String("index"))
            for (const QStringList &c : rows("PRAGMA index_xinfo(\"" + name.toUtf8() + "\")"))
                out << QStringLiteral("  key ") + c.join(QLatin1Char('|'));
    }
    for (const char *pragma : {"PRAGMA application_id", "PRAGMA user_version"})
        for (const QStringList &r : rows(pragma))
            out << QString::fromLatin1(pragma) + QLatin1Char(' ') + r.join(QLatin1Char('|'));
    return out;
}

} // namespace storage_test
