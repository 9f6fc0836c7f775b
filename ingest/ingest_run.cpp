// runIngest (see ingest_run.h): builds the Source subclasses for a request and reads them in order.
#include "ingest/ingest_run.h"

#include "ingest/pdf_source.h"
#include "ingest/text_source.h"

#include <QElapsedTimer>
#include <QFileInfo>

namespace folio::ingest {

IngestOutcome runIngest(const IngestRequest &request, const CancelFlag *cancel)
{
    QElapsedTimer timer;
    timer.start();
    std::vector<std::unique_ptr<Source>> sources;
    switch (request.kind) {
    case IngestRequest::Kind::Repository:
        sources.push_back(std::make_unique<GitSource>(request.git));
        break;
    case IngestRequest::Kind::Pdf:
        for (const QString &f : request.pdfs)
            sources.push_back(std::make_unique<PdfSource>(f, request.password));
        break;
    case IngestRequest::Kind::Path:
        for (const QString &p : request.paths) {
            if (QFileInfo(p).isFile() && p.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive))
                sources.push_back(std::make_unique<PdfSource>(p, request.password));
            else
                sources.push_back(std::make_unique<TextSource>(p));
        }
        break;
    }
    IngestOutcome out;
    const FileFilter filter(request.filter);
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const std::unique_ptr<Source> &src = sources[i];
        if (request.progress)
            src->setProgressCallback([&request, i](qint64 done, qint64 total) {
                request.progress(int(i), done, total);
            });
        OpenStatus s = src->open();
        SourceContents contents;
        if (s.ok())
            s = src->read(filter, &contents, cancel);
        if (!s.ok()) {
            out.status = s;
            out.failedSource = src->displayName();
            break;
        }
        out.sources.push_back(std::move(contents));
    }
    out.seconds = double(timer.nsecsElapsed()) / 1e9;
    return out;
}

} // namespace folio::ingest
