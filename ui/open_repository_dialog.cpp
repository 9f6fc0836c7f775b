// OpenRepositoryDialog: a form; the location may be typed, picked from recent ones or browsed.
#include "ui/open_repository_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace folio::ui {

namespace {
bool looksRemote(const QString &s)
{
    return s.contains(QLatin1String("://"))
           || (s.contains(QLatin1Char('@')) && s.contains(QLatin1Char(':')));
}
} // namespace

OpenRepositoryDialog::OpenRepositoryDialog(const QStringList &recent, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("openRepositoryDialog"));
    setWindowTitle(tr("Open Repository"));
    setAccessibleName(tr("Open repository"));
    m_location = new QComboBox;
    m_location->setObjectName(QStringLiteral("repositoryLocation"));
    m_location->setEditable(true);
    m_location->addItems(recent);
    m_location->setAccessibleName(tr("Repository folder or URL"));
    m_location->lineEdit()->setPlaceholderText(tr("/path/to/repository or https://host/repo.git"));
    auto *browse = new QPushButton(tr("Browse…"));
    browse->setAccessibleName(tr("Choose the repository folder"));
    auto *locationRow = new QHBoxLayout;
    locationRow->addWidget(m_location, 1);
    locationRow->addWidget(browse);
    m_ref = new QLineEdit;
    m_ref->setObjectName(QStringLiteral("repositoryRef"));
    m_ref->setAccessibleName(tr("Branch, tag or commit"));
    m_ref->setPlaceholderText(tr("HEAD (the checked-out commit)"));
    m_worktree = new QCheckBox(tr("Read the &working tree (include uncommitted changes)"));
    m_worktree->setObjectName(QStringLiteral("repositoryWorktree"));
    m_worktree->setAccessibleName(tr("Read the working tree"));
    m_hint = new QLabel;
    m_hint->setWordWrap(true);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Open"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Repository:"), locationRow);
    form->addRow(tr("Re&vision:"), m_ref);
    form->addRow(QString(), m_worktree);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_hint);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this,
                                                              tr("Choose the repository folder"),
                                                              m_location->currentText());
        if (!dir.isEmpty())
            setLocation(dir);
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_location, &QComboBox::currentTextChanged, this, &OpenRepositoryDialog::updateState);
    connect(m_worktree, &QCheckBox::toggled, this, &OpenRepositoryDialog::updateState);
    updateState();
    resize(560, 220);
}

void OpenRepositoryDialog::setLocation(const QString &location)
{
    m_location->setCurrentText(location);
}

void OpenRepositoryDialog::updateState()
{
    const QString location = m_location->currentText().trimmed();
    const bool remote = looksRemote(location);
    // A clone has no working tree of the user's: the option only applies to local folders.
    m_worktree->setEnabled(!remote);
    m_ref->setEnabled(!m_worktree->isChecked() || remote);
    if (location.isEmpty())
        m_hint->setText(tr("Choose a folder inside a git repository, or paste a URL to clone."));
    else if (remote)
        m_hint->setText(tr("The repository will be cloned into Folio's cache first."));
    else if (!QDir(location).exists())
        m_hint->setText(tr("%1 does not exist.").arg(location));
    else
        m_hint->clear();
    m_buttons->button(QDialogButtonBox::Ok)
        ->setEnabled(remote || (!location.isEmpty() && QDir(location).exists()));
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
