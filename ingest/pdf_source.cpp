// PdfSource (see pdf_source.h). Text comes from Poppler's word list (Page::textList), which is in
// reading order (flows → blocks → lines, like pdftotext without -layout); a word without a next word
// ends its line. Poppler's own error chatter goes to the folio.ingest debug log, not stderr.
#include "ingest/pdf_source.h"

#include "ingest/logging.h"
#include "ingest/token_counter.h"

#include <poppler-qt6.h>

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <atomic>
#include <thread>

namespace folio::ingest {

namespace {

void popplerMessage(const QString &message, const QVariant &)
{
    qCDebug(lcIngest).noquote() << "poppler:" << message;
}

void routePopplerMessages()
{
    static const bool once = [] {
        Poppler::setDebugErrorFunction(popplerMessage, QVariant());
        return true;
    }();
    (void) once;
}

// Text of one page in reading order: words joined by spaces, lines by newlines.
QString pageText(const Poppler::Page &page)
{
    const std::vector<std::unique_ptr<Poppler::TextBox>> boxes = page.textList();
    QString text;
    for (const auto &box : boxes) {
        text += box->text();
        if (!box->nextWord())
            text += u'\n';
        else if (box->hasSpaceAfter())
            text += u' ';
    }
    return text;
}

} // namespace

QString normalizePdfText(const QString &in)
{
    QString s;
    s.reserve(in.size());
    for (const QChar c : in) {
        switch (c.unicode()) {
        case 0xFB00:
            s += QStringLiteral("ff");
            break;
        case 0xFB01:
            s += QStringLiteral("fi");
            break;
        case 0xFB02:
            s += QStringLiteral("fl");
            break;
        case 0xFB03:
            s += QStringLiteral("ffi");
            break;
        case 0xFB04:
            s += QStringLiteral("ffl");
            break;
        case 0xFB05:
        case 0xFB06:
            s += QStringLiteral("st");
            break;
        case 0x00AD:
            break; // soft hyphen: invisible unless at a break, which the join below handles
        default:
            s += c;
        }
    }
    // Join words hyphenated across a line end: "exam-\nple rest" → "example\nrest" would break the
    // line structure less, but the simple, predictable rule is "exam-\nple" → "example" with the
    // newline moved after the joined word.
    QString out;
    out.reserve(s.size());
    qsizetype i = 0;
    while (i < s.size()) {
        const QChar c = s[i];
        if ((c == u'-' || c == QChar(0x2010)) && i > 0 && s[i - 1].isLetter() && i + 1 < s.size()
            && s[i + 1] == u'\n' && i + 2 < s.size() && s[i + 2].isLower()) {
            qsizetype j = i + 2;
            while (j < s.size() && !s[j].isSpace())
                out += s[j++];
            out += u'\n';
            if (j < s.size() && (s[j] == u' ' || s[j] == u'\n'))
                ++j; // the separator after the moved word is replaced by the newline
            i = j;
            continue;
        }
        out += c;
        ++i;
    }
    return out;
}

struct PdfSource::Impl
{
    QString filePath;
    QByteArray password;
    QString displayPath;
    std::unique_ptr<Poppler::Document> doc;
};

PdfSource::PdfSource(QString filePath, QByteArray password, QString displayPath)
    : d(std::make_unique<Impl>())
{
    d->filePath = std::move(filePath);
    d->password = std::move(password);
    d->displayPath = displayPath.isEmpty() ? QFileInfo(d->filePath).fileName()
                                           : std::move(displayPath);
}

PdfSource::~PdfSource() = default;

QString PdfSource::displayName() const
{
    return d->displayPath;
}

OpenStatus PdfSource::open()
{
    routePopplerMessages();
    d->doc.reset();
    const QFileInfo info(d->filePath);
    if (!info.exists())
        return OpenStatus::failure(OpenResult::NotFound,
                                   QStringLiteral("%1: no such file").arg(d->filePath));
    if (!info.isFile() || !info.isReadable())
        return OpenStatus::failure(OpenResult::Failed,
                                   QStringLiteral("%1: not a readable file").arg(d->filePath));
    {
        QFile f(d->filePath);
        if (!f.open(QIODevice::ReadOnly))
            return OpenStatus::failure(OpenResult::Failed,
                                       QStringLiteral("%1: %2").arg(d->filePath, f.errorString()));
        // Poppler accepts garbage with a %PDF somewhere in the first 1 KiB; so do we, nothing less.
        if (!f.read(1024).contains("%PDF-"))
            return OpenStatus::failure(OpenResult::Unsupported,
                                       QStringLiteral("%1: not a PDF file (no %PDF- header)")
                                           .arg(d->filePath));
    }
    std::unique_ptr<Poppler::Document> doc = Poppler::Document::load(d->filePath, d->password,
                                                                     d->password);
    if (!doc)
        return OpenStatus::failure(OpenResult::Damaged,
                                   QStringLiteral("%1: damaged PDF (Poppler could not parse it)")
                                       .arg(d->filePath));
    if (doc->isLocked()) {
        return OpenStatus::failure(OpenResult::NeedsPassword,
                                   d->password.isEmpty()
                                       ? QStringLiteral(
                                             "%1 is encrypted: a password is needed (--password)")
                                             .arg(d->filePath)
                                       : QStringLiteral(
                                             "%1 is encrypted and the password given is wrong")
                                             .arg(d->filePath));
    }
    if (doc->numPages() <= 0)
        return OpenStatus::failure(OpenResult::Damaged,
                                   QStringLiteral("%1: damaged PDF (no pages could be read)")
                                       .arg(d->filePath));
    d->doc = std::move(doc);
    return OpenStatus::success();
}

OpenStatus PdfSource::read(const FileFilter &filter, SourceContents *out, const CancelFlag *cancel)
{
    if (!d->doc)
        return OpenStatus::failure(OpenResult::Failed,
                                   QStringLiteral("read() before a successful open()"));
    out->name = d->displayPath;
    progress().reset();
    // --include/--exclude apply to a PDF as a whole (its path); the vendored rules do not matter.
    if (!filter.options().include.isEmpty() || !filter.options().exclude.isEmpty()) {
        if (QString why = filter.skipByPath(d->displayPath); !why.isEmpty()) {
            out->root = QFileInfo(d->filePath).absoluteFilePath();
            out->skipped.push_back({d->displayPath, why});
            return OpenStatus::success();
        }
    }
    out->root = QFileInfo(d->filePath).absoluteFilePath();
    out->title = d->doc->title();
    out->author = d->doc->author();
    out->pageCount = d->doc->numPages();
    // Pages are extracted on several threads, each with its own Document: a Poppler Document is
    // not safe to share between threads, separate ones are. Small files stay on one thread (a
    // second Document costs a parse of the file). Threads take the next page from a shared counter
    // rather than a fixed half each: pages differ in cost, and on a busy machine one thread may
    // get little CPU; a fixed split then waits for the slow half.
    const int pages = out->pageCount;
    const unsigned threads = pages < 16
                                 ? 1u
                                 : std::min(std::max(1u, std::thread::hardware_concurrency()),
                                            unsigned(pages / 8));
    std::vector<SourceItem> items(static_cast<size_t>(pages));
    std::vector<QString> notes(static_cast<size_t>(pages));
    std::atomic_bool cancelled{false};
    std::atomic_int nextPage{0};
    progress().addTotal(pages);
    parallelFor(threads, threads, [&](std::size_t job) {
        std::unique_ptr<Poppler::Document> own;
        Poppler::Document *doc = d->doc.get();
        if (job > 0) {
            own = Poppler::Document::load(d->filePath, d->password, d->password);
            doc = own.get();
        }
        for (int i = nextPage++; i < pages; i = nextPage++) {
            if (cancel && cancel->load()) {
                cancelled = true;
                return;
            }
            SourceItem &item = items[size_t(i)];
            item.kind = ItemKind::PdfPage;
            item.path = d->displayPath;
            item.page = i + 1;
            item.encoding = QStringLiteral("utf-8");
            std::unique_ptr<Poppler::Page> page(doc && !doc->isLocked() ? doc->page(i) : nullptr);
            if (!page) {
                // A page object Poppler cannot build is reported like a page without text, noted.
                item.noText = true;
                notes[size_t(i)] = QStringLiteral("page %1 could not be read (damaged page object)")
                                       .arg(i + 1);
            } else {
                item.label = page->label();
                const QString text = normalizePdfText(pageText(*page));
                if (text.trimmed().isEmpty())
                    item.noText = true;
                else
                    item.text = text.toUtf8();
            }
            item.bytes = item.text.size();
            item.contentId = blobIdOf(item.text); // token counts depend on the text alone
            progress().advance();
        }
    });
    if (cancelled)
        return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
    for (int i = 0; i < pages; ++i) {
        if (!notes[size_t(i)].isEmpty())
            out->notes << notes[size_t(i)];
        out->items.push_back(std::move(items[size_t(i)]));
    }
    return OpenStatus::success();
}

} // namespace folio::ingest
