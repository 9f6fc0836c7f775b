// Opening folio.db: pragmas, application_id, schema migration, unclean-shutdown detection and the
// integrity check (see database.h). The schema scripts are Qt resources compiled from
// storage/schema/*.sql.
#include "storage/database.h"

#include "storage/logging.h"
#include "storage/payload_files.h"
#include "storage/sqlite.h"

#include <QAtomicInt>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace folio::storage {

namespace {

QString readResource(const QString &name)
{
    QFile f(QStringLiteral(":/folio/storage/schema/") + name);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Names of the per-connection markers: "<db>.open.<pid>-<n>" while a connection is open.
QString markerPrefix(const QString &dbPath)
{
    return QFileInfo(dbPath).fileName() + QStringLiteral(".open.");
}

} // namespace

QString Database::schemaScript(int version)
{
    return readResource(QStringLiteral("v%1.sql").arg(version));
}

QString Database::migrationScript(int toVersion)
{
    return readResource(QStringLiteral("migrate_to_v%1.sql").arg(toVersion));
}

Result<std::unique_ptr<Database>> Database::open(const QString &path, const OpenOptions &options)
{
    std::unique_ptr<Database> db(new Database);
    db->m_path = QFileInfo(path).absoluteFilePath();
    const QFileInfo info(db->m_path);
    if (!QDir().mkpath(info.absolutePath()))
        return Status::error(Status::Io, QStringLiteral("cannot create the directory %1")
                                             .arg(info.absolutePath()));
    db->m_report.created = !info.exists() || info.size() == 0;

    const QByteArray native = QFile::encodeName(db->m_path);
    int rc = sqlite3_open_v2(native.constData(), &db->m_db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        Status s = FOLIO_SQLITE_CHECK(db->m_db, rc);
        return s.context(QStringLiteral("opening %1").arg(db->m_path));
    }
    sqlite3_extended_result_codes(db->m_db, 1);

    if (Status s = db->configure(options); !s.ok())
        return s.context(QStringLiteral("opening %1").arg(db->m_path));
    if (Status s = db->claimMarker(); !s.ok())
        return s.context(QStringLiteral("opening %1").arg(db->m_path));

    if (db->m_report.uncleanShutdown || options.checkIntegrity) {
        if (db->m_report.uncleanShutdown)
            qCWarning(lcStorage) << "previous session on" << db->m_path
                                 << "ended without closing the database; checking integrity";
        Result<QStringList> problems = db->integrityCheck();
        if (!problems.ok())
            return Status(problems.status()).context(QStringLiteral("checking %1").arg(db->m_path));
        db->m_report.integrityChecked = true;
        if (!problems->isEmpty())
            return Status::error(Status::Corrupt,
                                 QStringLiteral("%1 failed its integrity check: %2")
                                     .arg(db->m_path,
                                          problems->mid(0, 5).join(QStringLiteral("; "))));
    }

    Result<int> removed = removeOrphanPayloads(*db);
    if (!removed.ok())
        qCWarning(lcStorage) << "cleaning snapshot payloads:" << removed.status().message();
    else
        db->m_report.orphanPayloadsRemoved = *removed;
    return db;
}

Database::~Database()
{
    if (m_db && m_report.schemaAfter == kSchemaVersion) {
        // Fold the WAL back into the main file when we are the last connection, so a copied
        // folio.db is complete on its own; failure (another process still open) is harmless.
        sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    if (m_db)
        sqlite3_close_v2(m_db);
    releaseMarker();
}

Status Database::configure(const OpenOptions &options)
{
    if (Status s = FOLIO_SQLITE_CHECK(m_db, sqlite3_busy_timeout(m_db, options.busyTimeoutMs));
        !s.ok())
        return s;

    // Identify the file before changing anything in it: a newer Folio's or another application's
    // database must be refused untouched (journal_mode=WAL below would rewrite its header).
    Result<qint64> appId = queryInt(QStringLiteral("PRAGMA application_id"));
    if (!appId.ok()) {
        if (appId.status().code() == Status::NotFolio)
            return Status::error(Status::NotFolio,
                                 QStringLiteral(
                                     "not a Folio database (not an SQLite file at all)"));
        return appId.status();
    }
    Result<qint64> version = queryInt(QStringLiteral("PRAGMA user_version"));
    if (!version.ok())
        return version.status();
    Result<qint64> tables = queryInt(QStringLiteral("SELECT count(*) FROM sqlite_master"));
    if (!tables.ok())
        return tables.status();
    m_report.schemaBefore = int(*version);
    if (*appId != 0 && *appId != kApplicationId)
        return Status::error(Status::NotFolio,
                             QStringLiteral("not a Folio database (application_id 0x%1)")
                                 .arg(quint32(*appId), 8, 16, QLatin1Char('0')));
    if (*appId == 0 && *tables > 0)
        return Status::error(Status::NotFolio,
                             QStringLiteral("not a Folio database (it holds other tables)"));
    if (*version > kSchemaVersion)
        return Status::error(Status::NewerSchema,
                             QStringLiteral("written by a newer Folio (schema version %1; this "
                                            "Folio reads up to %2). Update Folio to open it; the "
                                            "file was not modified")
                                 .arg(*version)
                                 .arg(kSchemaVersion));

    // WAL: readers never block the writer (GUI and CLI at once). synchronous=FULL: a committed
    // transaction survives power loss, not only a process crash ("never lose data").
    {
        Result<Statement> st = Statement::prepare(m_db, "PRAGMA journal_mode=WAL");
        if (!st.ok())
            return st.status();
        Result<bool> row = st->step();
        if (!row.ok())
            return row.status();
        if (!*row || st->text(0).compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return Status::error(Status::Io, QStringLiteral("the file system refused WAL mode"));
    }
    if (Status s = exec(QStringLiteral("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")); !s.ok())
        return s;
    if (Status s = migrate(); !s.ok())
        return s;
    m_report.schemaAfter = kSchemaVersion;
    return {};
}

Status Database::migrate()
{
    if (m_report.schemaBefore == kSchemaVersion)
        return {};
    Transaction tx(*this);
    if (Status s = tx.begin(); !s.ok())
        return s;
    // Another process may have migrated between our first look and the write lock.
    Result<qint64> version = queryInt(QStringLiteral("PRAGMA user_version"));
    if (!version.ok())
        return version.status();
    if (*version == kSchemaVersion)
        return tx.commit();
    if (*version > kSchemaVersion)
        return Status::error(Status::NewerSchema,
                             QStringLiteral("a newer Folio upgraded the file meanwhile"));
    if (*version == 0) {
        const QString script = schemaScript(kSchemaVersion);
        Q_ASSERT(!script.isEmpty());
        if (Status s = exec(script); !s.ok())
            return s.context(QStringLiteral("creating schema %1").arg(kSchemaVersion));
        if (Status s = exec(QStringLiteral("PRAGMA application_id=%1").arg(kApplicationId)); !s.ok())
            return s;
    } else {
        for (int v = int(*version) + 1; v <= kSchemaVersion; ++v) {
            const QString script = migrationScript(v);
            Q_ASSERT(!script.isEmpty());
            if (Status s = exec(script); !s.ok())
                return s.context(QStringLiteral("migrating to schema %1").arg(v));
            qCInfo(lcStorage) << "migrated" << m_path << "to schema" << v;
        }
    }
    if (Status s = exec(QStringLiteral("PRAGMA user_version=%1").arg(kSchemaVersion)); !s.ok())
        return s;
    // A migration must never leave dangling references; checked before it becomes visible.
    Result<qint64> fk = queryInt(QStringLiteral("SELECT count(*) FROM pragma_foreign_key_check"));
    if (!fk.ok())
        return fk.status();
    if (*fk != 0)
        return Status::error(Status::Corrupt,
                             QStringLiteral("migration left %1 broken references").arg(*fk));
    return tx.commit();
}

Status Database::claimMarker()
{
    // Each open connection holds an flock on its own marker file; the kernel drops the lock when
    // the process dies, however it dies. A marker whose lock we can take therefore belongs to a
    // connection that never closed: an unclean shutdown.
    static QAtomicInt counter;
    const QFileInfo info(m_path);
    const QDir dir = info.absoluteDir();
    const QString prefix = markerPrefix(m_path);
    for (const QString &name : dir.entryList({prefix + QLatin1Char('*')}, QDir::Files)) {
        const QByteArray p = QFile::encodeName(dir.filePath(name));
        const int fd = ::open(p.constData(), O_RDWR | O_CLOEXEC);
        if (fd < 0)
            continue; // removed by its owner or another opener meanwhile
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            m_report.uncleanShutdown = true;
            ::unlink(p.constData());
        }
        ::close(fd);
    }

    // Created under a temporary name and renamed once locked, so no other opener ever sees our
    // marker unlocked and mistakes it for a dead one.
    const QString tag = QStringLiteral("%1-%2")
                            .arg(QCoreApplication::applicationPid())
                            .arg(counter.fetchAndAddRelaxed(1));
    const QString tmp = dir.filePath(info.fileName() + QStringLiteral(".opening.") + tag);
    m_markerPath = dir.filePath(prefix + tag);
    const QByteArray tmpNative = QFile::encodeName(tmp);
    m_markerFd = ::open(tmpNative.constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (m_markerFd < 0)
        return Status::error(Status::Io,
                             QStringLiteral("cannot create %1: %2").arg(tmp, errnoText()));
    if (::flock(m_markerFd, LOCK_EX) != 0
        || ::rename(tmpNative.constData(), QFile::encodeName(m_markerPath).constData()) != 0) {
        const Status s = Status::error(Status::Io, QStringLiteral("cannot set up %1: %2")
                                                       .arg(m_markerPath, errnoText()));
        ::close(m_markerFd);
        m_markerFd = -1;
        ::unlink(tmpNative.constData());
        return s;
    }
    return {};
}

void Database::releaseMarker()
{
    if (m_markerFd < 0)
        return;
    ::unlink(QFile::encodeName(m_markerPath).constData());
    ::close(m_markerFd);
    m_markerFd = -1;
}

Status Database::exec(const QString &sql)
{
    const QByteArray utf8 = sql.toUtf8();
    char *err = nullptr;
    const int rc = sqlite3_exec(m_db, utf8.constData(), nullptr, nullptr, &err);
    sqlite3_free(err);
    const QByteArray call = "sqlite3_exec(" + utf8.simplified().left(80) + ")";
    return sqliteStatus(m_db, rc, call.constData());
}

Result<qint64> Database::queryInt(const QString &sql)
{
    const QByteArray utf8 = sql.toUtf8();
    Result<Statement> st = Statement::prepare(m_db, utf8.constData());
    if (!st.ok())
        return st.status();
    Result<bool> row = st->step();
    if (!row.ok())
        return row.status();
    return *row ? st->int64(0) : qint64(0);
}

Result<QStringList> Database::integrityCheck()
{
    QStringList problems;
    {
        Result<Statement> st = Statement::prepare(m_db, "PRAGMA integrity_check");
        if (!st.ok())
            return st.status();
        for (;;) {
            Result<bool> row = st->step();
            if (!row.ok())
                return row.status();
            if (!*row)
                break;
            const QString line = st->text(0);
            if (line != QLatin1String("ok"))
                problems << line;
        }
    }
    Result<Statement> fk = Statement::prepare(m_db, "PRAGMA foreign_key_check");
    if (!fk.ok())
        return fk.status();
    for (;;) {
        Result<bool> row = fk->step();
        if (!row.ok())
            return row.status();
        if (!*row)
            break;
        problems << QStringLiteral("row %1 of %2 refers to a missing row of %3")
                        .arg(fk->int64(1))
                        .arg(fk->text(0), fk->text(2));
    }
    return problems;
}

Transaction::~Transaction()
{
    if (m_open)
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::begin()
{
    Status s = m_db.exec(QStringLiteral("BEGIN IMMEDIATE"));
    m_open = s.ok();
    return s;
}

Status Transaction::commit()
{
    Status s = m_db.exec(QStringLiteral("COMMIT"));
    if (s.ok())
        m_open = false;
    return s;
}

} // namespace folio::storage
