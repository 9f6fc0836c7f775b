// PdfSource (see pdf_source.h), on Poppler's core API (PDFDoc, TextOutputDev: the path pdftotext
// takes; headers from Debian's libpoppler-private-dev). Text comes from the word list of each page
// (TextOutputDev::makeWordList), which is in reading order (flows → blocks → lines, like pdftotext
// without -layout); a word without a next word ends its line.
//
// Why not Poppler-Qt6 (which this file used before): its Page::textList() renders every page over a
// fresh copy of the document's XRef (an empty object-stream cache: every page fetched and inflated
// its objects again) into a new TextOutputDev (an empty ICC colour-space cache: the LCMS transform
// rebuilt per page). Here each thread keeps one PDFDoc and one TextOutputDev for all its pages, as
// pdftotext does (BENCHMARKS.md, Ingest).
//
// Poppler's messages go to the folio.ingest debug log, not stderr (while no Poppler-Qt document is
// open in the same process: the error callback belongs to whoever creates the global parameters).
#include "ingest/pdf_source.h"

#include "ingest/logging.h"
#include "ingest/token_counter.h"

#include <Catalog.h>
#include <ErrorCodes.h>
#include <GlobalParams.h>
#include <PDFDoc.h>
#include <TextOutputDev.h>
#include <UTF.h>
#include <goo/GooString.h>
#include <goo/gmem.h>

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

namespace folio::ingest {

namespace {

void popplerMessage(ErrorCategory, Goffset pos, const char *message)
{
    const QString text = QString::fromUtf8(message).trimmed();
    if (pos >= 0)
        qCDebug(lcIngest).noquote() << QStringLiteral("poppler (byte %1): %2").arg(pos).arg(text);
    else
        qCDebug(lcIngest).noquote() << QStringLiteral("poppler: %1").arg(text);
}

// Poppler's global parameters (font and Unicode tables) live while any GlobalParamsIniter does; the
// count is shared with Poppler-Qt6, so the UI's PDF viewer and this file can coexist in a process.
struct PopplerGlobals
{
    GlobalParamsIniter initer{popplerMessage};
};

void appendUnicode(QString *s, Unicode c)
{
    if (c >= 0x10000 && c <= 0x10FFFF) {
        *s += QChar(QChar::highSurrogate(c));
        *s += QChar(QChar::lowSurrogate(c));
        return;
    }
    // A lone surrogate or a value beyond Unicode becomes U+FFFD.
    *s += c < 0x10000 && !QChar::isSurrogate(c) ? QChar(char16_t(c))
                                                : QChar(QChar::ReplacementCharacter);
}

// A PDF text string (UTF-16 with a byte-order mark, or PDFDocEncoding) as a QString.
QString textString(const GooString *s)
{
    if (!s)
        return QString();
    Unicode *u = nullptr;
    int n = TextStringToUCS4(s->toStr(), &u);
    while (n > 0 && u[n - 1] == 0)
        --n; // a trailing NUL some producers write
    QString out;
    for (int i = 0; i < n; ++i)
        appendUnicode(&out, u[i]);
    gfree(u);
    return out;
}

std::unique_ptr<PDFDoc> loadDocument(const QString &path, const QByteArray &password)
{
    std::optional<GooString> pw;
    if (!password.isEmpty())
        pw.emplace(password.toStdString());
    return std::make_unique<PDFDoc>(std::make_unique<GooString>(
                                        QFile::encodeName(path).toStdString()),
                                    pw, pw);
}

bool cancelRequested(void *flag)
{
    return flag && static_cast<const CancelFlag *>(flag)->load();
}

// Text of the page the device last displayed, in reading order: words joined by spaces where the
// PDF has a space, lines by newlines.
QString pageText(TextOutputDev *device)
{
    const std::unique_ptr<TextWordList> words = device->makeWordList();
    QString text;
    for (int i = 0, n = words ? words->getLength() : 0; i < n; ++i) {
        const TextWord *word = words->get(i);
        for (int k = 0; k < word->getLength(); ++k)
            appendUnicode(&text, *word->getChar(k));
        if (!word->nextWord())
            text += u'\n';
        else if (word->hasSpaceAfter())
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
    std::unique_ptr<PopplerGlobals> globals; // outlives every PDFDoc below
    std::unique_ptr<PDFDoc> doc;
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
    if (!d->globals)
        d->globals = std::make_unique<PopplerGlobals>();
    std::unique_ptr<PDFDoc> doc = loadDocument(d->filePath, d->password);
    if (!doc->isOk()) {
        switch (doc->getErrorCode()) {
        case errEncrypted:
            return OpenStatus::failure(
                OpenResult::NeedsPassword,
                d->password.isEmpty()
                    ? QStringLiteral("%1 is encrypted: a password is needed (--password)")
                          .arg(d->filePath)
                    : QStringLiteral("%1 is encrypted and the password given is wrong")
                          .arg(d->filePath));
        case errOpenFile:
            return OpenStatus::failure(OpenResult::Failed,
                                       QStringLiteral("%1: cannot open the file").arg(d->filePath));
        default:
            return OpenStatus::failure(OpenResult::Damaged,
                                       QStringLiteral(
                                           "%1: damaged PDF (Poppler could not parse it)")
                                           .arg(d->filePath));
        }
    }
    if (doc->getNumPages() <= 0)
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
    out->root = QFileInfo(d->filePath).absoluteFilePath();
    progress().reset();
    // --include/--exclude apply to a PDF as a whole (its path); the vendored rules do not matter.
    if (!filter.options().include.isEmpty() || !filter.options().exclude.isEmpty()) {
        if (QString why = filter.skipByPath(d->displayPath); !why.isEmpty()) {
            out->skipped.push_back({d->displayPath, why});
            progress().addTotal(1);
            progress().advance();
            return OpenStatus::success();
        }
    }
    {
        const std::unique_ptr<GooString> title = d->doc->getDocInfoTitle();
        const std::unique_ptr<GooString> author = d->doc->getDocInfoAuthor();
        out->title = textString(title.get());
        out->author = textString(author.get());
    }
    out->pageCount = d->doc->getNumPages();
    // Pages are extracted on several threads, each with its own PDFDoc: a document is not safe to
    // share between threads, separate ones are. Small files stay on one thread (a second PDFDoc
    // costs a parse of the file). Threads take the next page from a shared counter rather than a
    // fixed half each: pages differ in cost, and on a busy machine one thread may get little CPU;
    // a fixed split then waits for the slow half.
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
        std::unique_ptr<PDFDoc> own;
        PDFDoc *doc = d->doc.get();
        if (job > 0) {
            own = loadDocument(d->filePath, d->password);
            if (!own->isOk() || own->getNumPages() != pages)
                return; // the file changed under us: the other threads take every page
            doc = own.get();
        }
        // One output device for all the pages of this thread: its colour-space cache carries over.
        // Arguments as Poppler-Qt's textList: no file, reading order (not physical layout, not
        // content-stream order), no fixed pitch.
        TextOutputDev device(nullptr, false, 0, false, false);
        void *cancelData = const_cast<CancelFlag *>(cancel);
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
            if (!device.isOk() || !doc->getPage(i + 1)) {
                // A page object Poppler cannot build is reported like a page without text, noted.
                item.noText = true;
                notes[size_t(i)] = QStringLiteral("page %1 could not be read (damaged page object)")
                                       .arg(i + 1);
            } else {
                GooString label;
                if (doc->getCatalog()->indexToLabel(i, &label))
                    item.label = textString(&label);
                // 72 dpi, no rotation beyond the page's own, the crop box, not printing.
                doc->displayPage(&device, i + 1, 72, 72, 0, false, false, false, cancelRequested,
                                 cancelData);
                const QString text = normalizePdfText(pageText(&device));
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
    if (cancelled || (cancel && cancel->load()))
        return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
    for (int i = 0; i < pages; ++i) {
        if (!notes[size_t(i)].isEmpty())
            out->notes << notes[size_t(i)];
        out->items.push_back(std::move(items[size_t(i)]));
    }
    return OpenStatus::success();
}

} // namespace folio::ingest
