// SyntaxHighlighter: keyword, string, number and comment colouring for the common languages of a
// codebase (C/C++, CUDA, Python, JavaScript/TypeScript, Rust, Go, Java/Kotlin, C#, shell, CMake,
// JSON/YAML/TOML), chosen from the file name. Colours adapt to a light or dark palette.
#pragma once

#include <QRegularExpression>
#include <QSyntaxHighlighter>
#include <QTextCharFormat>
#include <QVector>

namespace folio::ui {

class SyntaxHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT

public:
    explicit SyntaxHighlighter(QTextDocument *document);

    // Picks the rules for `fileName` ("src/main.cpp"); returns the language name, or an empty
    // string when the file is not one it knows (then nothing is coloured).
    QString setFileName(const QString &fileName, bool darkPalette);
    QString language() const { return m_language; }

protected:
    void highlightBlock(const QString &text) override;

private:
    struct Rule
    {
        QRegularExpression pattern;
        QTextCharFormat format;
    };

    QString m_language;
    QVector<Rule> m_rules;
    QRegularExpression m_blockCommentStart;
    QRegularExpression m_blockCommentEnd;
    QTextCharFormat m_commentFormat;
};

} // namespace folio::ui
