// SyntaxHighlighter: a table of languages (extensions, keywords, comment syntax) and a rule list
// built from it. Rules apply in order; later rules (strings, comments) paint over earlier ones so a
// keyword inside a string is not coloured as a keyword.
#include "ui/syntax_highlighter.h"

#include <QFileInfo>

namespace folio::ui {

namespace {

struct Language
{
    const char *name;
    QStringList suffixes;    // lower-case, without the dot; a full file name also matches
    const char *keywords;    // space-separated
    const char *lineComment; // regex, or nullptr
    bool cBlockComments;
};

const QVector<Language> &languages()
{
    static const QVector<Language> table = {
        {"C++",
         {"c", "cc", "cpp", "cxx", "h", "hh", "hpp", "hxx", "cu", "cuh", "inl", "ipp"},
         "alignas alignof auto bool break case catch char class const constexpr consteval continue "
         "co_await co_return decltype default delete do double else enum explicit extern false "
         "float for friend goto if inline int long mutable namespace new noexcept nullptr operator "
         "override private protected public return short signed sizeof static static_assert "
         "static_cast struct switch template this throw true try typedef typename union unsigned "
         "using virtual void volatile while size_t uint8_t uint32_t uint64_t int64_t __global__ "
         "__device__ __host__ #include #define #pragma #if #ifdef #ifndef #endif #else",
         "//",
         true},
        {"Python",
         {"py", "pyi"},
         "False None True and as assert async await break class continue def del elif else except "
         "finally for from global if import in is lambda nonlocal not or pass raise return self "
         "try "
         "while with yield",
         "#",
         false},
        {"JavaScript",
         {"js", "mjs", "cjs", "jsx", "ts", "tsx"},
         "async await break case catch class const continue default delete do else export extends "
         "false finally for from function if import in instanceof interface let new null return "
         "super switch this throw true try type typeof undefined var void while yield",
         "//",
         true},
        {"Rust",
         {"rs"},
         "as async await break const continue crate dyn else enum extern false fn for if impl in "
         "let loop match mod move mut pub ref return self Self static struct super trait true type "
         "unsafe use where while Option Result Some None Ok Err",
         "//",
         true},
        {"Go",
         {"go"},
         "break case chan const continue default defer else fallthrough for func go goto if import "
         "interface map package range return select struct switch type var nil true false",
         "//",
         true},
        {"Java",
         {"java", "kt", "kts", "scala", "cs"},
         "abstract boolean break byte case catch char class const continue default do double else "
         "enum extends final finally float for fun if implements import instanceof int interface "
         "long namespace new null object override package private protected public return short "
         "static super switch this throw throws true false try val var void while using",
         "//",
         true},
        {"Shell",
         {"sh", "bash", "zsh"},
         "if then else elif fi for while do done case esac function in return local export set "
         "echo exit",
         "#",
         false},
        {"CMake",
         {"cmake", "CMakeLists.txt"},
         "if else elseif endif foreach endforeach function endfunction macro endmacro set "
         "option add_library add_executable target_link_libraries target_include_directories "
         "find_package include add_subdirectory project install",
         "#",
         false},
        {"JSON", {"json", "yaml", "yml", "toml"}, "true false null", "#", false},
    };
    return table;
}

} // namespace

SyntaxHighlighter::SyntaxHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{}

QString SyntaxHighlighter::setFileName(const QString &fileName, bool dark)
{
    m_rules.clear();
    m_language.clear();
    m_blockCommentStart = {};
    m_blockCommentEnd = {};
    const QFileInfo info(fileName);
    const QString suffix = info.suffix().toLower();
    const Language *lang = nullptr;
    for (const Language &l : languages()) {
        if (l.suffixes.contains(suffix) || l.suffixes.contains(info.fileName())) {
            lang = &l;
            break;
        }
    }
    if (lang) {
        // Two colour sets: saturated on a light background, lighter tints on a dark one.
        auto fmt = [](const char *light, const char *darkColor, bool isDark, bool bold = false) {
            QTextCharFormat f;
            f.setForeground(QColor(QLatin1String(isDark ? darkColor : light)));
            if (bold)
                f.setFontWeight(QFont::Bold);
            return f;
        };
        const QTextCharFormat keyword = fmt("#1f3fbf", "#82aaff", dark, true);
        const QTextCharFormat number = fmt("#a0522d", "#f78c6c", dark);
        const QTextCharFormat string = fmt("#1a7f37", "#c3e88d", dark);
        m_commentFormat = fmt("#6a737d", "#8b95a7", dark);
        m_commentFormat.setFontItalic(true);

        m_language = QString::fromLatin1(lang->name);
        for (const QString &word : QString::fromLatin1(lang->keywords).split(QLatin1Char(' '))) {
            const QString escaped = QRegularExpression::escape(word);
            // '#include' starts with a non-word character, so \b cannot anchor it on the left.
            const QString pattern = word.startsWith(QLatin1Char('#'))
                                        ? QStringLiteral("^\\s*%1\\b").arg(escaped)
                                        : QStringLiteral("\\b%1\\b").arg(escaped);
            m_rules.append({QRegularExpression(pattern), keyword});
        }
        m_rules.append(
            {QRegularExpression(QStringLiteral("\\b(0x[0-9A-Fa-f]+|\\d+(\\.\\d+)?)\\b")), number});
        m_rules.append(
            {QRegularExpression(QStringLiteral(R"("(\\.|[^"\\])*"|'(\\.|[^'\\])*')")), string});
        if (lang->lineComment)
            m_rules.append({QRegularExpression(QStringLiteral("%1.*$").arg(
                                QRegularExpression::escape(QLatin1String(lang->lineComment)))),
                            m_commentFormat});
        if (lang->cBlockComments) {
            m_blockCommentStart = QRegularExpression(QStringLiteral("/\\*"));
            m_blockCommentEnd = QRegularExpression(QStringLiteral("\\*/"));
        }
    }
    rehighlight();
    return m_language;
}

void SyntaxHighlighter::highlightBlock(const QString &text)
{
    for (const Rule &rule : std::as_const(m_rules)) {
        auto it = rule.pattern.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            setFormat(int(m.capturedStart()), int(m.capturedLength()), rule.format);
        }
    }
    // Block comments may span lines: the block state 1 means "inside a comment".
    setCurrentBlockState(0);
    if (!m_blockCommentStart.isValid() || m_blockCommentStart.pattern().isEmpty())
        return;
    int start = 0;
    if (previousBlockState() != 1) {
        const auto m = m_blockCommentStart.match(text);
        start = m.hasMatch() ? int(m.capturedStart()) : -1;
    }
    while (start >= 0) {
        const auto end = m_blockCommentEnd.match(text, start + (previousBlockState() == 1 ? 0 : 2));
        int length;
        if (!end.hasMatch()) {
            setCurrentBlockState(1);
            length = int(text.size()) - start;
        } else {
            length = int(end.capturedEnd()) - start;
        }
        setFormat(start, length, m_commentFormat);
        const auto next = m_blockCommentStart.match(text, start + length);
        start = next.hasMatch() ? int(next.capturedStart()) : -1;
    }
}

} // namespace folio::ui
