// CodeViewer: QPlainTextEdit with a painted gutter, extra selections for the cited range and the
// find match, and a find bar that hides with Esc.
#include "ui/code_viewer.h"

#include "ui/syntax_highlighter.h"

#include <QAction>
#include <QEvent>
#include <QFile>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QTextBlock>
#include <QToolButton>
#include <QVBoxLayout>

namespace folio::ui {

namespace {
// Files larger than this are shown truncated: the viewer is for reading cited lines, and a
// multi-megabyte generated file would make layout slow.
constexpr qint64 kMaxViewBytes = 8 * 1024 * 1024;

class Gutter : public QWidget
{
public:
    explicit Gutter(CodeEditor *editor)
        : QWidget(editor)
        , m_editor(editor)
    {}
    QSize sizeHint() const override { return {m_editor->gutterWidth(), 0}; }

protected:
    void paintEvent(QPaintEvent *event) override { m_editor->paintGutter(event); }

private:
    CodeEditor *m_editor;
};

bool isDark(const QPalette &p)
{
    return p.color(QPalette::Base).lightness() < 128;
}
} // namespace

CodeEditor::CodeEditor(QWidget *parent)
    : QPlainTextEdit(parent)
    , m_gutter(new Gutter(this))
{
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    connect(this, &QPlainTextEdit::blockCountChanged, this,
            [this] { setViewportMargins(gutterWidth(), 0, 0, 0); });
    connect(this, &QPlainTextEdit::updateRequest, this, [this](const QRect &rect, int dy) {
        if (dy)
            m_gutter->scroll(0, dy);
        else
            m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
    });
    setViewportMargins(gutterWidth(), 0, 0, 0);
}

int CodeEditor::gutterWidth() const
{
    const int digits = int(QString::number(std::max(1, blockCount())).size());
    return 12 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * std::max(3, digits);
}

void CodeEditor::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    const QRect cr = contentsRect();
    m_gutter->setGeometry(QRect(cr.left(), cr.top(), gutterWidth(), cr.height()));
}

void CodeEditor::paintGutter(QPaintEvent *event)
{
    QPainter painter(m_gutter);
    painter.fillRect(event->rect(), palette().color(QPalette::AlternateBase));
    painter.setPen(palette().color(QPalette::PlaceholderText));
    QTextBlock block = firstVisibleBlock();
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    while (block.isValid() && top <= event->rect().bottom()) {
        const int height = qRound(blockBoundingRect(block).height());
        if (block.isVisible() && top + height >= event->rect().top()) {
            painter.drawText(0, top, m_gutter->width() - 6, fontMetrics().height(), Qt::AlignRight,
                             QString::number(block.blockNumber() + 1));
        }
        block = block.next();
        top += height;
    }
}

CodeViewer::CodeViewer(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("codeViewer"));
    m_pathLabel = new QLabel;
    m_pathLabel->setObjectName(QStringLiteral("codeViewerPath"));
    m_pathLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_editor = new CodeEditor;
    m_editor->setObjectName(QStringLiteral("codeEditor"));
    m_highlighter = new SyntaxHighlighter(m_editor->document());

    m_findBar = new QWidget;
    m_findBar->setObjectName(QStringLiteral("codeFindBar"));
    m_findEdit = new QLineEdit;
    m_findEdit->setObjectName(QStringLiteral("codeFindEdit"));
    m_findEdit->setClearButtonEnabled(true);
    m_findPrev = new QToolButton;
    m_findPrev->setArrowType(Qt::UpArrow);
    m_findNext = new QToolButton;
    m_findNext->setArrowType(Qt::DownArrow);
    m_findStatus = new QLabel;
    auto *findLayout = new QHBoxLayout(m_findBar);
    findLayout->setContentsMargins(0, 0, 0, 0);
    findLayout->addWidget(m_findEdit, 1);
    findLayout->addWidget(m_findPrev);
    findLayout->addWidget(m_findNext);
    findLayout->addWidget(m_findStatus);
    m_findBar->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_pathLabel);
    layout->addWidget(m_editor, 1);
    layout->addWidget(m_findBar);

    connect(m_findEdit, &QLineEdit::returnPressed, this,
            [this] { findNext(QGuiApplication::keyboardModifiers() & Qt::ShiftModifier); });
    connect(m_findEdit, &QLineEdit::textChanged, this, [this] { updateSelections(); });
    connect(m_findPrev, &QToolButton::clicked, this, [this] { findNext(true); });
    connect(m_findNext, &QToolButton::clicked, this, [this] { findNext(false); });
    auto *find = new QAction(this);
    find->setShortcut(QKeySequence::Find);
    find->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(find, &QAction::triggered, this, &CodeViewer::showFindBar);
    addAction(find);
    // Esc in the find field closes the bar. The main window's Esc (Stop) is a window shortcut, so
    // the field claims the key through ShortcutOverride (see eventFilter).
    m_findEdit->installEventFilter(this);
    retranslate();
}

void CodeViewer::retranslate()
{
    setAccessibleName(tr("Code viewer"));
    m_editor->setAccessibleName(tr("Source text"));
    m_findEdit->setAccessibleName(tr("Find in file"));
    m_findEdit->setPlaceholderText(tr("Find…"));
    m_findPrev->setAccessibleName(tr("Previous match"));
    m_findPrev->setToolTip(tr("Previous match (Shift+Enter)"));
    m_findNext->setAccessibleName(tr("Next match"));
    m_findNext->setToolTip(tr("Next match (Enter)"));
    m_pathLabel->setAccessibleName(tr("File path"));
}

bool CodeViewer::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_findEdit
        && (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)
        && static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape) {
        event->accept();
        if (event->type() == QEvent::KeyPress) {
            m_findBar->hide();
            m_editor->setFocus();
        }
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void CodeViewer::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    else if (event->type() == QEvent::PaletteChange && !m_path.isEmpty())
        m_highlighter->setFileName(m_path, isDark(palette()));
}

void CodeViewer::showText(const QString &path, const QString &text)
{
    m_path = path;
    m_first = m_last = 0;
    m_editor->setPlainText(text);
    const QString language = m_highlighter->setFileName(path, isDark(palette()));
    m_pathLabel->setText(language.isEmpty() ? path
                                            : QStringLiteral("%1  ·  %2").arg(path, language));
    updateSelections();
}

bool CodeViewer::openFile(const QString &absolutePath, const QString &displayPath)
{
    QFile file(absolutePath);
    const QString shown = displayPath.isEmpty() ? absolutePath : displayPath;
    if (!file.open(QIODevice::ReadOnly)) {
        showText(shown, tr("Cannot open %1: %2").arg(absolutePath, file.errorString()));
        return false;
    }
    QByteArray bytes = file.read(kMaxViewBytes);
    QString text = QString::fromUtf8(bytes);
    if (!file.atEnd())
        text += tr("\n… (truncated: the file is larger than %L1 MiB)").arg(kMaxViewBytes >> 20);
    showText(shown, text);
    return true;
}

QString CodeViewer::language() const
{
    return m_highlighter->language();
}

void CodeViewer::showLines(int first, int last)
{
    const int count = m_editor->document()->blockCount();
    first = std::clamp(first, 1, std::max(1, count));
    last = std::clamp(std::max(first, last), first, std::max(1, count));
    m_first = first;
    m_last = last;
    // Put the range near the top with a few lines of context above it.
    QTextCursor cursor(m_editor->document()->findBlockByNumber(count - 1));
    m_editor->setTextCursor(cursor);
    m_editor->ensureCursorVisible();
    cursor = QTextCursor(m_editor->document()->findBlockByNumber(std::max(0, first - 4)));
    m_editor->setTextCursor(cursor);
    m_editor->ensureCursorVisible();
    m_editor->setTextCursor(QTextCursor(m_editor->document()->findBlockByNumber(first - 1)));
    updateSelections();
}

int CodeViewer::cursorLine() const
{
    return m_editor->textCursor().blockNumber() + 1;
}

int CodeViewer::firstVisibleLine() const
{
    return m_editor->cursorForPosition(QPoint(0, 0)).blockNumber() + 1;
}

void CodeViewer::showFindBar()
{
    m_findBar->show();
    const QString selected = m_editor->textCursor().selectedText();
    if (!selected.isEmpty() && !selected.contains(QChar::ParagraphSeparator))
        m_findEdit->setText(selected);
    m_findEdit->setFocus();
    m_findEdit->selectAll();
}

bool CodeViewer::findNext(bool backward)
{
    const QString needle = m_findEdit->text();
    if (needle.isEmpty())
        return false;
    QTextDocument::FindFlags flags;
    if (backward)
        flags |= QTextDocument::FindBackward;
    bool found = m_editor->find(needle, flags);
    if (!found) {
        // Wrap around once.
        QTextCursor c(m_editor->document());
        if (backward)
            c.movePosition(QTextCursor::End);
        m_editor->setTextCursor(c);
        found = m_editor->find(needle, flags);
    }
    m_findStatus->setText(found ? QString() : tr("Not found"));
    updateSelections();
    return found;
}

void CodeViewer::updateSelections()
{
    QList<QTextEdit::ExtraSelection> selections;
    if (m_first > 0) {
        QColor band = palette().color(QPalette::Highlight);
        band.setAlpha(60);
        QTextEdit::ExtraSelection range;
        range.format.setBackground(band);
        range.format.setProperty(QTextFormat::FullWidthSelection, true);
        QTextCursor c(m_editor->document()->findBlockByNumber(m_first - 1));
        c.movePosition(QTextCursor::NextBlock, QTextCursor::KeepAnchor, m_last - m_first);
        c.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        range.cursor = c;
        selections.append(range);
    }
    m_editor->setExtraSelections(selections);
}

} // namespace folio::ui
