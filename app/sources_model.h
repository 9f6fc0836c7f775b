// SourcesModel: the sources panel's tree — each source (repository, folder, PDF), its directories
// and files or pages with token counts and include/exclude check boxes, and a "Skipped" group with
// every item ingest left out and why. Checking a box changes the exclusion set; the ingest service
// re-packs and reports the new budget. Passes QAbstractItemModelTester.
#pragma once

#include <QAbstractItemModel>
#include <QSet>
#include <QVector>

#include <memory>

namespace folio::app {

// One node of the tree, built by the ingest service on its thread and handed over whole.
struct SourceNode
{
    enum class Kind { Source, Directory, File, Page, SkippedGroup, Skipped };
    Kind kind = Kind::Directory; // the root of the tree is a Directory too
    QString name;                // what the tree shows ("parse.cpp", "p. 7 (vii)", "Skipped (3)")
    QString path;                // the item's path inside its source ("src/parse.cpp", "book.pdf")
    QString absolutePath;        // on disk, for the viewer (files of folders and work trees; PDFs)
    int source = 0;              // index of the source
    int page = 0;
    qint64 tokens = 0;
    QString reason;        // Skipped: why
    bool excluded = false; // files and pages: left out of the context by the user
    SourceNode *parent = nullptr;
    std::vector<std::unique_ptr<SourceNode>> children;

    SourceNode *add(std::unique_ptr<SourceNode> child)
    {
        child->parent = this;
        children.push_back(std::move(child));
        return children.back().get();
    }
};

class SourcesModel : public QAbstractItemModel
{
    Q_OBJECT

public:
    enum Columns { NameColumn, TokensColumn, ColumnCount };
    enum Roles {
        KindRole = Qt::UserRole + 1, // int(SourceNode::Kind)
        PathRole,
        AbsolutePathRole,
        SourceRole,
        PageRole,
        TokensRole,
        ReasonRole,
    };

    explicit SourcesModel(QObject *parent = nullptr);
    ~SourcesModel() override;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Replaces the whole tree (the root's children are the sources).
    void setRoot(std::unique_ptr<SourceNode> root);
    // Updates token counts in place (after a re-pack), keeping expansion and selection.
    void setTokens(const QHash<QString, qint64> &tokensByKey);
    // "source\tpath" keys of the excluded files and pages.
    QSet<QString> exclusions() const;
    static QString key(int source, const QString &path, int page = 0);
    // Finds the node for a path in a source (files and PDFs); invalid when there is none.
    QModelIndex find(int source, const QString &path) const;

Q_SIGNALS:
    void exclusionsChanged(const QSet<QString> &exclusions);

private:
    SourceNode *node(const QModelIndex &index) const;
    QModelIndex indexOf(SourceNode *node, int column = 0) const;
    Qt::CheckState checkState(const SourceNode *node) const;
    void setExcluded(SourceNode *node, bool excluded);
    void emitSubtreeChanged(SourceNode *node);

    std::unique_ptr<SourceNode> m_root;
};

} // namespace folio::app
