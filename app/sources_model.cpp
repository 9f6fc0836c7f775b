// SourcesModel: a tree over SourceNode pointers (internalPointer = the node). Check states of
// directories and sources are derived from their files, so they can never disagree.
#include "app/sources_model.h"

#include <QLocale>

#include <functional>

namespace folio::app {

namespace {
bool checkable(const SourceNode *n)
{
    return n->kind != SourceNode::Kind::SkippedGroup && n->kind != SourceNode::Kind::Skipped;
}
} // namespace

SourcesModel::SourcesModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<SourceNode>())
{}

SourcesModel::~SourcesModel() = default;

SourceNode *SourcesModel::node(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<SourceNode *>(index.internalPointer()) : m_root.get();
}

QModelIndex SourcesModel::indexOf(SourceNode *n, int column) const
{
    if (!n || n == m_root.get() || !n->parent)
        return {};
    const auto &siblings = n->parent->children;
    for (size_t i = 0; i < siblings.size(); ++i) {
        if (siblings[i].get() == n)
            return createIndex(int(i), column, n);
    }
    return {};
}

QModelIndex SourcesModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    SourceNode *p = node(parent);
    return createIndex(row, column, p->children.at(size_t(row)).get());
}

QModelIndex SourcesModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    SourceNode *n = node(child);
    return indexOf(n->parent);
}

int SourcesModel::rowCount(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return 0;
    return int(node(parent)->children.size());
}

int SourcesModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

Qt::CheckState SourcesModel::checkState(const SourceNode *n) const
{
    if (n->kind == SourceNode::Kind::File || n->kind == SourceNode::Kind::Page)
        return n->excluded ? Qt::Unchecked : Qt::Checked;
    bool any = false, all = true, seen = false;
    for (const auto &c : n->children) {
        if (!checkable(c.get()))
            continue;
        const Qt::CheckState s = checkState(c.get());
        seen = true;
        any = any || s != Qt::Unchecked;
        all = all && s == Qt::Checked;
    }
    if (!seen)
        return Qt::Checked;
    return all ? Qt::Checked : any ? Qt::PartiallyChecked : Qt::Unchecked;
}

QVariant SourcesModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const SourceNode *n = node(index);
    const bool skipped = n->kind == SourceNode::Kind::Skipped;
    if (index.column() == TokensColumn) {
        if (role == Qt::DisplayRole && !skipped && n->kind != SourceNode::Kind::SkippedGroup)
            return QLocale().toString(n->tokens);
        if (role == Qt::TextAlignmentRole)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        if (role != Qt::DisplayRole && role < Qt::UserRole)
            return {};
    }
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == TokensColumn)
            return {};
        return skipped ? tr("%1 — %2").arg(n->name, n->reason) : n->name;
    case Qt::ToolTipRole:
        if (skipped)
            return tr("Skipped: %1").arg(n->reason);
        return tr("%1: %L2 tokens").arg(n->path.isEmpty() ? n->name : n->path).arg(n->tokens);
    case Qt::CheckStateRole:
        if (index.column() == NameColumn && checkable(n))
            return checkState(n);
        return {};
    case Qt::AccessibleTextRole:
        return skipped ? tr("%1, skipped: %2").arg(n->name, n->reason)
                       : tr("%1, %L2 tokens").arg(n->name).arg(n->tokens);
    case KindRole:
        return int(n->kind);
    case PathRole:
        return n->path;
    case AbsolutePathRole:
        return n->absolutePath;
    case SourceRole:
        return n->source;
    case PageRole:
        return n->page;
    case TokensRole:
        return n->tokens;
    case ReasonRole:
        return n->reason;
    default:
        return {};
    }
}

void SourcesModel::setExcluded(SourceNode *n, bool excluded)
{
    if (n->kind == SourceNode::Kind::File || n->kind == SourceNode::Kind::Page)
        n->excluded = excluded;
    for (auto &c : n->children) {
        if (checkable(c.get()))
            setExcluded(c.get(), excluded);
    }
}

void SourcesModel::emitSubtreeChanged(SourceNode *n)
{
    if (!n->children.empty()) {
        const QModelIndex first = index(0, 0, indexOf(n));
        const QModelIndex last = index(int(n->children.size()) - 1, ColumnCount - 1, indexOf(n));
        Q_EMIT dataChanged(first, last, {Qt::CheckStateRole});
        for (auto &c : n->children)
            emitSubtreeChanged(c.get());
    }
}

bool SourcesModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::CheckStateRole || !checkIndex(index, CheckIndexOption::IndexIsValid)
        || index.column() != NameColumn)
        return false;
    SourceNode *n = node(index);
    if (!checkable(n))
        return false;
    const auto state = Qt::CheckState(value.toInt());
    setExcluded(n, state == Qt::Unchecked);
    // The node, its subtree and its ancestors (whose derived state may change).
    Q_EMIT dataChanged(index, index, {Qt::CheckStateRole});
    emitSubtreeChanged(n);
    for (SourceNode *a = n->parent; a && a != m_root.get(); a = a->parent) {
        const QModelIndex ai = indexOf(a);
        Q_EMIT dataChanged(ai, ai, {Qt::CheckStateRole});
    }
    Q_EMIT exclusionsChanged(exclusions());
    return true;
}

Qt::ItemFlags SourcesModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == NameColumn && checkable(node(index)))
        f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant SourcesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == NameColumn ? tr("Source") : tr("Tokens");
}

void SourcesModel::setRoot(std::unique_ptr<SourceNode> root)
{
    beginResetModel();
    m_root = root ? std::move(root) : std::make_unique<SourceNode>();
    endResetModel();
}

QString SourcesModel::key(int source, const QString &path, int page)
{
    return page > 0 ? QStringLiteral("%1\t%2\t%3").arg(source).arg(path).arg(page)
                    : QStringLiteral("%1\t%2").arg(source).arg(path);
}

QSet<QString> SourcesModel::exclusions() const
{
    QSet<QString> out;
    std::function<void(const SourceNode *)> walk = [&](const SourceNode *n) {
        if ((n->kind == SourceNode::Kind::File || n->kind == SourceNode::Kind::Page) && n->excluded)
            out.insert(key(n->source, n->path, n->page));
        for (const auto &c : n->children)
            walk(c.get());
    };
    walk(m_root.get());
    return out;
}

void SourcesModel::setTokens(const QHash<QString, qint64> &tokensByKey)
{
    std::function<qint64(SourceNode *)> walk = [&](SourceNode *n) -> qint64 {
        if (n->kind == SourceNode::Kind::File || n->kind == SourceNode::Kind::Page) {
            n->tokens = tokensByKey.value(key(n->source, n->path, n->page), n->tokens);
            return n->tokens;
        }
        qint64 sum = 0;
        for (auto &c : n->children)
            sum += walk(c.get());
        if (n->kind != SourceNode::Kind::SkippedGroup && n->kind != SourceNode::Kind::Skipped)
            n->tokens = sum;
        return sum;
    };
    walk(m_root.get());
    std::function<void(SourceNode *)> notify = [&](SourceNode *n) {
        if (!n->children.empty()) {
            const QModelIndex p = indexOf(n);
            Q_EMIT dataChanged(index(0, TokensColumn, p),
                               index(int(n->children.size()) - 1, TokensColumn, p));
            for (auto &c : n->children)
                notify(c.get());
        }
    };
    notify(m_root.get());
}

QModelIndex SourcesModel::find(int source, const QString &path) const
{
    std::function<SourceNode *(SourceNode *)> walk = [&](SourceNode *n) -> SourceNode * {
        if (n != m_root.get() && n->source == source && n->path == path
            && (n->kind == SourceNode::Kind::File
                || (n->kind == SourceNode::Kind::Source && !n->absolutePath.isEmpty())))
            return n;
        for (auto &c : n->children) {
            if (SourceNode *hit = walk(c.get()))
                return hit;
        }
        return nullptr;
    };
    return indexOf(walk(m_root.get()));
}

} // namespace folio::app
