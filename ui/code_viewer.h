// CodeViewer: a read-only source view with line numbers, syntax highlighting, a highlighted line
// range (where a citation points) and a find bar (Ctrl+F, Enter / Shift+Enter for next / previous).
#pragma once

#include <QPlainTextEdit>
#include <QWidget>

class QLabel;
class QLineEdit;
class QToolButton;

namespace folio::ui {

class SyntaxHighlighter;

// The text area itself, with the line-number gutter.
class CodeEditor : public QPlainTextEdit
{
    Q_OBJECT

public:
    explicit CodeEditor(QWidget *parent = nullptr);
    int gutterWidth() const;
    void paintGutter(QPaintEvent *event);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    QWidget *m_gutter = nullptr;
};

class CodeViewer : public QWidget
{
    Q_OBJECT

public:
    explicit CodeViewer(QWidget *parent = nullptr);

    // Shows `text` as the content of `path` (which picks the highlighting).
    void showText(const QString &path, const QString &text);
    // Reads and shows a file; false (and a message in the view) when it cannot be read.
    bool openFile(const QString &absolutePath, const QString &displayPath = {});
    // Highlights lines [first, last] (1-based, inclusive) and scrolls them into view.
    void showLines(int first, int last);

    QString path() const { return m_path; }
    QString language() const;
    int highlightedFirstLine() const { return m_first; }
    int highlightedLastLine() const { return m_last; }
    // The 1-based line of the text cursor.
    int cursorLine() const;
    // The first line visible at the top of the view.
    int firstVisibleLine() const;
    CodeEditor *editor() const { return m_editor; }

public Q_SLOTS:
    void showFindBar();
    // Finds the next (or previous) match of the find bar's text; false when there is none.
    bool findNext(bool backward = false);

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void updateSelections();
    void retranslate();

    QLabel *m_pathLabel = nullptr;
    CodeEditor *m_editor = nullptr;
    SyntaxHighlighter *m_highlighter = nullptr;
    QWidget *m_findBar = nullptr;
    QLineEdit *m_findEdit = nullptr;
    QToolButton *m_findPrev = nullptr;
    QToolButton *m_findNext = nullptr;
    QLabel *m_findStatus = nullptr;
    QString m_path;
    int m_first = 0;
    int m_last = 0;
};

} // namespace folio::ui
