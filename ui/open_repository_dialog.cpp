// OpenRepositoryDialog: a form over IngestService::listRefs. Typing a location waits 300 ms
// before asking for its refs, so a path typed character by character is listed once.
#include "ui/open_repository_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace folio::ui {

namespace {
bool looksRemote(const QString &s)
{
    return folio::app::IngestService::isRepositoryUrl(s);
}

// What a ref entry of the choice list reads: the revspec it stands for.
constexpr int kRefRole = Qt::UserRole;
constexpr int kCommitRole = Qt::UserRole;
} // namespace

OpenRepositoryDialog::OpenRepositoryDialog(const QStringList &recent,
                                           folio::app::IngestService *ingest, QWidget *parent)
    : QDialog(parent)
    , m_ingest(ingest)
{
    setObjectName(QStringLiteral("openRepositoryDialog"));
    m_location = new QComboBox;
    m_location->setObjectName(QStringLiteral("repositoryLocation"));
    m_location->setEditable(true);
    m_location->addItems(recent);
    m_location->setCurrentIndex(-1);
    auto *browse = new QPushButton;
    browse->setObjectName(QStringLiteral("repositoryBrowse"));
    auto *locationRow = new QHBoxLayout;
    locationRow->addWidget(m_location, 1);
    locationRow->addWidget(browse);
    m_refChoice = new QComboBox;
    m_refChoice->setObjectName(QStringLiteral("repositoryRefChoice"));
    m_commits = new QTreeWidget;
    m_commits->setObjectName(QStringLiteral("repositoryCommits"));
    m_commits->setRootIsDecorated(false);
    m_commits->setUniformRowHeights(true);
    m_commits->setColumnCount(4);
    m_commits->header()->setStretchLastSection(false);
    m_commits->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int c = 1; c < 4; ++c)
        m_commits->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_ref = new QLineEdit;
    m_ref->setObjectName(QStringLiteral("repositoryRef"));
    m_worktree = new QCheckBox;
    m_worktree->setObjectName(QStringLiteral("repositoryWorktree"));
    m_hint = new QLabel;
    m_hint->setObjectName(QStringLiteral("repositoryHint"));
    m_hint->setWordWrap(true);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_locationLabel = new QLabel;
    m_refLabel = new QLabel;
    m_commitsLabel = new QLabel;
    m_revisionLabel = new QLabel;
    m_locationLabel->setBuddy(m_location);
    m_refLabel->setBuddy(m_refChoice);
    m_commitsLabel->setBuddy(m_commits);
    m_revisionLabel->setBuddy(m_ref);

    auto *form = new QFormLayout;
    form->addRow(m_locationLabel, locationRow);
    form->addRow(m_refLabel, m_refChoice);
    form->addRow(m_commitsLabel, m_commits);
    form->addRow(m_revisionLabel, m_ref);
    form->addRow(QString(), m_worktree);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form, 1);
    layout->addWidget(m_hint);
    layout->addWidget(m_buttons);

    m_listTimer = new QTimer(this);
    m_listTimer->setSingleShot(true);
    m_listTimer->setInterval(300);
    connect(m_listTimer, &QTimer::timeout, this, &OpenRepositoryDialog::requestRefs);
    if (m_ingest)
        connect(m_ingest, &folio::app::IngestService::refsListed, this,
                &OpenRepositoryDialog::showRefs);

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this,
                                                              tr("Choose the repository folder"),
                                                              m_location->currentText());
        if (!dir.isEmpty())
            setLocation(dir);
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_location, &QComboBox::currentTextChanged, this, [this] {
        updateState();
        // A URL is asked over the network: wait for a longer pause in the typing.
        m_listTimer->start(looksRemote(m_location->currentText().trimmed()) ? 800 : 300);
    });
    connect(m_worktree, &QCheckBox::toggled, this, &OpenRepositoryDialog::updateState);
    connect(m_refChoice, &QComboBox::activated, this, &OpenRepositoryDialog::chooseRef);
    connect(m_commits, &QTreeWidget::itemSelectionChanged, this,
            &OpenRepositoryDialog::chooseCommit);
    connect(m_commits, &QTreeWidget::itemActivated, this, [this] {
        if (m_buttons->button(QDialogButtonBox::Ok)->isEnabled())
            accept();
    });
    connect(m_ref, &QLineEdit::textEdited, this, [this] {
        // A revision typed by hand: no list entry stands for it any more.
        const QSignalBlocker block(m_commits);
        m_commits->clearSelection();
    });
    retranslate();
    updateState();
    resize(760, 520);
}

void OpenRepositoryDialog::retranslate()
{
    setWindowTitle(tr("Open Repository"));
    setAccessibleName(tr("Open repository"));
    m_location->setAccessibleName(tr("Repository folder or URL"));
    m_location->lineEdit()->setPlaceholderText(tr("/path/to/repository or https://host/repo.git"));
    if (auto *browse = findChild<QPushButton *>(QStringLiteral("repositoryBrowse"))) {
        browse->setText(tr("Browse…"));
        browse->setAccessibleName(tr("Choose the repository folder"));
    }
    m_locationLabel->setText(tr("&Repository:"));
    m_refLabel->setText(tr("&Branch or tag:"));
    m_commitsLabel->setText(tr("Recent &commits:"));
    m_revisionLabel->setText(tr("Re&vision:"));
    m_refChoice->setAccessibleName(tr("Branch or tag"));
    m_commits->setAccessibleName(tr("Recent commits"));
    m_commits->setHeaderLabels({tr("Subject"), tr("Author"), tr("Date"), tr("Commit")});
    m_ref->setAccessibleName(tr("Branch, tag or commit"));
    m_ref->setPlaceholderText(tr("HEAD (the checked-out commit)"));
    m_worktree->setText(tr("Read the &working tree (include uncommitted changes)"));
    m_worktree->setAccessibleName(tr("Read the working tree"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Open"));
    if (!m_refs.location.isEmpty())
        showRefs(m_refs);
    updateState();
}

void OpenRepositoryDialog::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QDialog::changeEvent(event);
}

void OpenRepositoryDialog::setLocation(const QString &location)
{
    m_location->setCurrentText(location);
    m_listTimer->stop();
    requestRefs();
}

void OpenRepositoryDialog::requestRefs()
{
    const QString location = m_location->currentText().trimmed();
    if (location == m_listedLocation)
        return;
    m_listedLocation = location;
    m_refs = folio::app::RepositoryRefs();
    m_refChoice->clear();
    m_commits->clear();
    const bool remote = looksRemote(location);
    if (!m_ingest || location.isEmpty() || (!remote && !QDir(location).exists())) {
        updateState();
        return;
    }
    updateState();
    m_hint->setText(remote ? tr("Asking %1 for its branches and tags…").arg(location)
                           : tr("Reading the branches and commits of %1…").arg(location));
    m_ingest->listRefs(location);
}

void OpenRepositoryDialog::showRefs(const folio::app::RepositoryRefs &refs)
{
    if (refs.location != m_listedLocation)
        return; // an answer for a location typed before
    m_refs = refs;
    const QString typed = m_ref->text();
    m_refChoice->clear();
    m_commits->clear();
    if (refs.error.isEmpty()) {
        m_refChoice->addItem(refs.head.isEmpty() ? tr("HEAD (detached)")
                                                 : tr("HEAD (%1)").arg(refs.head),
                             QString());
        for (const QString &b : refs.branches)
            m_refChoice->addItem(tr("branch %1").arg(b), b);
        for (const QString &t : refs.tags)
            m_refChoice->addItem(tr("tag %1").arg(t), t);
        const QLocale locale;
        for (const folio::app::RepositoryCommit &c : refs.commits) {
            auto *item = new QTreeWidgetItem(m_commits);
            item->setText(0, c.subject);
            item->setText(1, c.author);
            item->setText(2, locale.toString(QDateTime::fromMSecsSinceEpoch(c.timeMs),
                                             QLocale::ShortFormat));
            item->setText(3, c.shortId);
            item->setData(0, kCommitRole, c.id);
            item->setToolTip(0, c.subject);
            item->setToolTip(3, c.id);
            if (c.id == refs.headCommit)
                item->setText(0, tr("%1 (HEAD)").arg(c.subject));
        }
        // Keep what was typed by hand; select the matching entry.
        const int refIndex = m_refChoice->findData(typed);
        if (refIndex >= 0)
            m_refChoice->setCurrentIndex(refIndex);
    }
    updateState();
    Q_EMIT refsShown();
}

void OpenRepositoryDialog::chooseRef(int index)
{
    if (index < 0)
        return;
    m_ref->setText(m_refChoice->itemData(index, kRefRole).toString());
    const QSignalBlocker block(m_commits);
    m_commits->clearSelection();
}

void OpenRepositoryDialog::chooseCommit()
{
    const QList<QTreeWidgetItem *> selected = m_commits->selectedItems();
    if (selected.isEmpty())
        return;
    m_ref->setText(selected.first()->data(0, kCommitRole).toString());
}

void OpenRepositoryDialog::updateState()
{
    const QString location = m_location->currentText().trimmed();
    const bool remote = looksRemote(location);
    // A clone has no working tree of the user's: the option only applies to local folders.
    m_worktree->setEnabled(!remote);
    // A remote's commits are not known before it is cloned: the list would only stay empty.
    m_commits->setVisible(!remote);
    m_commitsLabel->setVisible(!remote);
    const bool pickRevision = !m_worktree->isChecked() || remote;
    m_ref->setEnabled(pickRevision);
    m_refChoice->setEnabled(pickRevision && m_refChoice->count() > 0);
    m_commits->setEnabled(pickRevision && m_commits->topLevelItemCount() > 0);
    bool ok = remote || (!location.isEmpty() && QDir(location).exists());
    if (location.isEmpty()) {
        m_hint->setText(tr("Choose a folder inside a git repository, or paste a URL to clone."));
    } else if (remote && m_refs.location == location && !m_refs.error.isEmpty()) {
        // The clone reports its own failure; a listing can fail where a clone would not (a
        // server that refuses anonymous listing), so Open stays available.
        m_hint->setText(tr("Could not list the branches and tags: %1").arg(m_refs.error));
    } else if (remote && m_refs.location == location) {
        m_hint->setText(tr("%n branch(es), %1 tag(s) at the remote; pick one, or type a branch, "
                           "tag or commit. The repository is cloned into Folio's cache when you "
                           "open it.",
                           nullptr, int(m_refs.branches.size()))
                            .arg(m_refs.tags.size()));
    } else if (remote) {
        m_hint->setText(tr("The repository will be cloned into Folio's cache first; type a "
                           "branch, tag or commit, or leave the revision empty for its HEAD."));
    } else if (!QDir(location).exists()) {
        m_hint->setText(tr("%1 does not exist.").arg(location));
    } else if (m_refs.location == location && !m_refs.error.isEmpty()) {
        m_hint->setText(m_refs.error);
        ok = false;
    } else if (m_refs.location == location && m_refs.bare && m_worktree->isChecked()) {
        m_hint->setText(tr("A bare repository has no working tree."));
        ok = false;
    } else if (m_refs.location == location) {
        m_hint->setText(m_refs.commits.isEmpty()
                            ? tr("The repository has no commits yet; read its working tree.")
                            : tr("%n branch(es), %1 tag(s); pick a branch, tag or commit, or "
                                 "leave the revision empty for HEAD.",
                                 nullptr, int(m_refs.branches.size()))
                                  .arg(m_refs.tags.size()));
    }
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

folio::app::RepositoryRequest OpenRepositoryDialog::request() const
{
    folio::app::RepositoryRequest r;
    r.location = m_location->currentText().trimmed();
    r.worktree = m_worktree->isEnabled() && m_worktree->isChecked();
    r.ref = r.worktree ? QString() : m_ref->text().trimmed();
    return r;
}

} // namespace folio::ui
