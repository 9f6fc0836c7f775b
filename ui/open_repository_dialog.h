// OpenRepositoryDialog: which repository (a local folder or a URL to clone) and which revision:
// the branches and tags of a local repository, or of a URL's remote before it is cloned, in a
// list; a local repository's recent commits in a table (subject, author, date, short id); any
// revspec typed by hand; or the working tree with uncommitted changes. The refs and commits are
// read by IngestService::listRefs on the ingest thread, never here. Recently opened repositories
// are offered from Settings.
#pragma once

#include "app/ingest_service.h"

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QTimer;
class QTreeWidget;

namespace folio::ui {

class OpenRepositoryDialog : public QDialog
{
    Q_OBJECT

public:
    // `ingest` lists a local repository's refs and commits; may be null (then only typing works).
    OpenRepositoryDialog(const QStringList &recent, folio::app::IngestService *ingest,
                         QWidget *parent = nullptr);

    void setLocation(const QString &location);
    folio::app::RepositoryRequest request() const;

    // The refs of the location last listed (tests).
    const folio::app::RepositoryRefs &refs() const { return m_refs; }

Q_SIGNALS:
    // The refs and commits of the current location are shown.
    void refsShown();

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void updateState();
    void requestRefs();
    void showRefs(const folio::app::RepositoryRefs &refs);
    void chooseRef(int index);
    void chooseCommit();

    QPointer<folio::app::IngestService> m_ingest;
    folio::app::RepositoryRefs m_refs;
    QString m_listedLocation; // the location whose refs are shown (or asked for)
    QComboBox *m_location = nullptr;
    QComboBox *m_refChoice = nullptr; // HEAD, branches, tags
    QTreeWidget *m_commits = nullptr;
    QLineEdit *m_ref = nullptr;
    QCheckBox *m_worktree = nullptr;
    QLabel *m_hint = nullptr;
    QLabel *m_refLabel = nullptr;
    QLabel *m_commitsLabel = nullptr;
    QLabel *m_revisionLabel = nullptr;
    QLabel *m_locationLabel = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QTimer *m_listTimer = nullptr;
    bool m_updatingRef = false;
};

} // namespace folio::ui
