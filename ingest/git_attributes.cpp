// GitAttributes (see git_attributes.h): gitattributes(5) parsing, git's wildmatch, and the
// priority walk of one lookup (git's fill/macroexpand order: the highest-priority rule first, a
// rule's assignments last to first, the first value found for a name wins).
#include "ingest/git_attributes.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace folio::ingest {

namespace {

constexpr std::array<QByteArrayView, 4> kWanted = {"binary", "diff", "linguist-generated",
                                                   "linguist-vendored"};

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// A POSIX bracket class name ("alpha" in [[:alpha:]]) applied to one byte.
bool inNamedClass(QByteArrayView name, unsigned char c)
{
    if (name == "alnum")
        return std::isalnum(c);
    if (name == "alpha")
        return std::isalpha(c);
    if (name == "blank")
        return c == ' ' || c == '\t';
    if (name == "cntrl")
        return std::iscntrl(c);
    if (name == "digit")
        return std::isdigit(c);
    if (name == "graph")
        return std::isgraph(c);
    if (name == "lower")
        return std::islower(c);
    if (name == "print")
        return std::isprint(c);
    if (name == "punct")
        return std::ispunct(c);
    if (name == "space")
        return std::isspace(c);
    if (name == "upper")
        return std::isupper(c);
    if (name == "xdigit")
        return std::isxdigit(c);
    return false;
}

// Matches the class starting at p[i] == '[' against c; sets `end` to the index after ']'.
// Returns false with end = -1 when the class is not closed (then '[' is an ordinary byte).
bool matchClass(QByteArrayView p, qsizetype i, unsigned char c, qsizetype *end)
{
    qsizetype j = i + 1;
    bool negate = false;
    if (j < p.size() && (p[j] == '!' || p[j] == '^')) {
        negate = true;
        ++j;
    }
    bool matched = false;
    bool first = true;
    for (; j < p.size(); first = false) {
        char pc = p[j];
        if (pc == ']' && !first) {
            *end = j + 1;
            return matched != negate;
        }
        if (pc == '[' && j + 1 < p.size() && p[j + 1] == ':') {
            const qsizetype close = QByteArrayView(p).indexOf(":]", j + 2);
            if (close > 0) {
                matched |= inNamedClass(p.sliced(j + 2, close - j - 2), c);
                j = close + 2;
                continue;
            }
        }
        if (pc == '\\' && j + 1 < p.size())
            pc = p[++j];
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
            char hi = p[j + 2];
            j += 2;
            if (hi == '\\' && j + 1 < p.size())
                hi = p[++j];
            matched |= c >= static_cast<unsigned char>(pc) && c <= static_cast<unsigned char>(hi);
        } else {
            matched |= c == static_cast<unsigned char>(pc);
        }
        ++j;
    }
    *end = -1;
    return false;
}

bool wildmatch(QByteArrayView p, qsizetype pi, QByteArrayView t, qsizetype ti)
{
    while (pi < p.size()) {
        const char pc = p[pi];
        if (pc == '*') {
            bool crossSlash = false;
            const bool atSegmentStart = pi == 0 || p[pi - 1] == '/';
            qsizetype stars = pi;
            while (stars < p.size() && p[stars] == '*')
                ++stars;
            if (stars - pi >= 2 && atSegmentStart && (stars == p.size() || p[stars] == '/')) {
                // `**` as a whole segment: `**/` also matches zero directories, a trailing `**`
                // everything below.
                if (stars == p.size())
                    return true;
                if (wildmatch(p, stars + 1, t, ti))
                    return true;
                crossSlash = true;
            }
            pi = stars;
            if (pi == p.size())
                return crossSlash || QByteArrayView(t).sliced(ti).indexOf('/') < 0;
            for (qsizetype k = ti; k <= t.size(); ++k) {
                if (wildmatch(p, pi, t, k))
                    return true;
                if (k < t.size() && t[k] == '/' && !crossSlash)
                    return false;
            }
            return false;
        }
        if (ti >= t.size())
            return false;
        const unsigned char tc = static_cast<unsigned char>(t[ti]);
        if (pc == '?') {
            if (tc == '/')
                return false;
            ++pi;
        } else if (pc == '[') {
            qsizetype end = -1;
            const bool m = matchClass(p, pi, tc, &end);
            if (end < 0) {
                if (tc != '[')
                    return false;
                ++pi;
            } else {
                if (!m || tc == '/')
                    return false;
                pi = end;
            }
        } else {
            char want = pc;
            if (pc == '\\' && pi + 1 < p.size())
                want = p[++pi];
            if (static_cast<unsigned char>(want) != tc)
                return false;
            ++pi;
        }
        ++ti;
    }
    return ti == t.size();
}

// git's C-style quoted pattern ("a b.txt"); returns the unquoted bytes and advances `i` past the
// closing quote, or returns an empty array when the quote is not closed.
QByteArray unquote(QByteArrayView line, qsizetype *i)
{
    QByteArray out;
    qsizetype j = *i + 1;
    while (j < line.size() && line[j] != '"') {
        char c = line[j++];
        if (c == '\\' && j < line.size()) {
            c = line[j++];
            switch (c) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'a':
                c = '\a';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'r':
                c = '\r';
                break;
            case 'v':
                c = '\v';
                break;
            default:
                if (c >= '0' && c <= '3' && j + 1 < line.size()) {
                    // three octal digits
                    c = char(((c - '0') << 6) | ((line[j] - '0') << 3) | (line[j + 1] - '0'));
                    j += 2;
                }
            }
        }
        out += c;
    }
    if (j >= line.size())
        return QByteArray();
    *i = j + 1;
    return out;
}

bool validAttributeName(QByteArrayView name)
{
    if (name.isEmpty() || name[0] == '-')
        return false;
    for (const char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

PathAttributes::State stateOf(const GitAttributes::Assignment *a)
{
    if (!a)
        return PathAttributes::Unspecified;
    switch (a->kind) {
    case GitAttributes::Assignment::Set:
        return PathAttributes::True;
    case GitAttributes::Assignment::Unset:
        return PathAttributes::False;
    case GitAttributes::Assignment::Unspecify:
        return PathAttributes::Unspecified;
    case GitAttributes::Assignment::Value:
        if (a->value == "true" || a->value == "1")
            return PathAttributes::True;
        if (a->value == "false" || a->value == "0")
            return PathAttributes::False;
        return PathAttributes::Unspecified;
    }
    return PathAttributes::Unspecified;
}

} // namespace

bool gitWildmatch(QByteArrayView pattern, QByteArrayView text)
{
    return wildmatch(pattern, 0, text, 0);
}

void GitAttributes::parse(File *file, QByteArrayView content, bool allowMacros)
{
    qsizetype pos = 0;
    while (pos < content.size()) {
        qsizetype eol = content.indexOf('\n', pos);
        if (eol < 0)
            eol = content.size();
        const QByteArrayView line = content.sliced(pos, eol - pos);
        pos = eol + 1;
        qsizetype i = 0;
        while (i < line.size() && isBlank(line[i]))
            ++i;
        if (i == line.size() || line[i] == '#')
            continue;
        QByteArray pattern;
        if (line[i] == '"') {
            pattern = unquote(line, &i);
            if (pattern.isEmpty())
                continue;
        } else {
            const qsizetype start = i;
            while (i < line.size() && !isBlank(line[i]))
                ++i;
            pattern = line.sliced(start, i - start).toByteArray();
        }
        std::vector<Assignment> assignments;
        bool valid = true;
        while (i < line.size()) {
            while (i < line.size() && isBlank(line[i]))
                ++i;
            const qsizetype start = i;
            while (i < line.size() && !isBlank(line[i]))
                ++i;
            if (start == i)
                break;
            QByteArrayView token = line.sliced(start, i - start);
            Assignment a;
            if (token[0] == '-' || token[0] == '!') {
                a.kind = token[0] == '-' ? Assignment::Unset : Assignment::Unspecify;
                token = token.sliced(1);
            } else if (const qsizetype eq = token.indexOf('='); eq >= 0) {
                a.kind = Assignment::Value;
                a.value = token.sliced(eq + 1).toByteArray();
                token = token.first(eq);
            }
            if (!validAttributeName(token)) {
                valid = false; // git drops the whole line
                break;
            }
            a.name = token.toByteArray();
            assignments.push_back(std::move(a));
        }
        if (!valid)
            continue;
        if (pattern.startsWith("[attr]")) {
            const QByteArray name = pattern.mid(6);
            if (allowMacros && validAttributeName(name))
                m_macros.insert(name, std::move(assignments));
            continue;
        }
        // Negative patterns are not allowed in attributes files; a directory-only pattern never
        // matches a file (gitattributes(5)).
        if (pattern.startsWith('!') || pattern.endsWith('/') || assignments.empty())
            continue;
        Rule rule;
        rule.basename = !pattern.contains('/');
        rule.pattern = pattern.startsWith('/') ? pattern.mid(1) : pattern;
        rule.assignments = std::move(assignments);
        file->rules.push_back(std::move(rule));
    }
}

void GitAttributes::addGlobal(QByteArrayView content)
{
    parse(&m_global, content, true);
}

void GitAttributes::addTreeFile(const QByteArray &dir, QByteArrayView content)
{
    auto it = m_treeByDir.constFind(dir);
    std::size_t index;
    if (it == m_treeByDir.constEnd()) {
        index = m_tree.size();
        m_tree.push_back(File{dir, {}});
        m_treeByDir.insert(dir, index);
    } else {
        index = *it;
    }
    parse(&m_tree[index], content, dir.isEmpty());
}

void GitAttributes::addInfo(QByteArrayView content)
{
    parse(&m_info, content, true);
}

void GitAttributes::prepare()
{
    if (!m_macros.contains("binary"))
        m_macros.insert("binary", {{"diff", Assignment::Unset, {}},
                                   {"merge", Assignment::Unset, {}},
                                   {"text", Assignment::Unset, {}}});
    // Relevant names: the wanted attributes and every macro that (transitively) assigns one.
    QHash<QByteArray, bool> relevant;
    for (QByteArrayView w : kWanted)
        relevant.insert(w.toByteArray(), true);
    for (bool grew = true; grew;) {
        grew = false;
        for (auto it = m_macros.cbegin(); it != m_macros.cend(); ++it) {
            if (relevant.contains(it.key()))
                continue;
            for (const Assignment &a : it.value()) {
                if (relevant.contains(a.name)) {
                    relevant.insert(it.key(), true);
                    grew = true;
                    break;
                }
            }
        }
    }
    m_empty = true;
    auto prune = [&](File &f) {
        std::erase_if(f.rules, [&](const Rule &r) {
            for (const Assignment &a : r.assignments) {
                if (relevant.contains(a.name))
                    return false;
            }
            return true;
        });
        m_empty = m_empty && f.rules.empty();
    };
    prune(m_global);
    prune(m_info);
    for (File &f : m_tree)
        prune(f);
}

bool GitAttributes::empty() const
{
    return m_empty;
}

bool GitAttributes::matches(const Rule &rule, QByteArrayView relative)
{
    if (rule.basename) {
        const qsizetype slash = relative.lastIndexOf('/');
        return gitWildmatch(rule.pattern, slash < 0 ? relative : relative.sliced(slash + 1));
    }
    return gitWildmatch(rule.pattern, relative);
}

PathAttributes GitAttributes::lookup(QByteArrayView path) const
{
    PathAttributes result;
    if (m_empty)
        return result;
    // Names decided so far (the wanted ones and macros), with the deciding assignment.
    std::vector<std::pair<QByteArrayView, const Assignment *>> decided;
    decided.reserve(8);
    int wantedLeft = int(kWanted.size());
    auto isDecided = [&](QByteArrayView name) {
        for (const auto &d : decided) {
            if (d.first == name)
                return true;
        }
        return false;
    };
    // git's fill_one + macroexpand_one: last assignment first; a macro set here expands here.
    auto fill = [&](auto &&self, const std::vector<Assignment> &as, int depth) -> void {
        for (auto it = as.rbegin(); it != as.rend() && wantedLeft > 0; ++it) {
            if (isDecided(it->name))
                continue;
            decided.emplace_back(it->name, &*it);
            if (std::find(kWanted.begin(), kWanted.end(), QByteArrayView(it->name)) != kWanted.end())
                --wantedLeft;
            if (it->kind == Assignment::Set && depth < 32) {
                if (auto m = m_macros.constFind(it->name); m != m_macros.constEnd())
                    self(self, *m, depth + 1);
            }
        }
    };
    auto applyFile = [&](const File &f) {
        const QByteArrayView relative = path.sliced(f.dir.size());
        for (auto r = f.rules.rbegin(); r != f.rules.rend() && wantedLeft > 0; ++r) {
            if (matches(*r, relative))
                fill(fill, r->assignments, 0);
        }
    };
    applyFile(m_info);
    // The path's own directory first, then each parent up to the root.
    for (qsizetype slash = path.lastIndexOf('/'); wantedLeft > 0;) {
        const QByteArray dir = slash < 0 ? QByteArray() : path.first(slash + 1).toByteArray();
        if (auto it = m_treeByDir.constFind(dir); it != m_treeByDir.constEnd())
            applyFile(m_tree[*it]);
        if (slash < 0)
            break;
        slash = slash == 0 ? -1 : path.first(slash).lastIndexOf('/');
    }
    if (wantedLeft > 0)
        applyFile(m_global);
    auto valueOf = [&](QByteArrayView name) -> const Assignment * {
        for (const auto &d : decided) {
            if (d.first == name)
                return d.second;
        }
        return nullptr;
    };
    result.binary = stateOf(valueOf(kWanted[0]));
    result.diff = stateOf(valueOf(kWanted[1]));
    result.generated = stateOf(valueOf(kWanted[2]));
    result.vendored = stateOf(valueOf(kWanted[3]));
    return result;
}

} // namespace folio::ingest
