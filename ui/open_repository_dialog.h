// OpenRepositoryDialog: which repository (a local folder or a URL to clone), which revision
// (branch, tag or commit; empty = HEAD) or the working tree with uncommitted changes. Recently
// opened repositories are offered from Settings.
#pragma once

#include "app/ingest_service.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace folio::ui {

class OpenRepositoryDialog : public QDialog
{
    Q_OBJECT

public:
    OpenRepositoryDialog(const QStringList &recent, QWidget *parent = nullptr);

    void setLocation(const QString &location);
    folio::app::RepositoryRequest request() const;

private:
    void updateState();

    QComboBox *m_location = nullptr;
    QLineEdit *m_ref = nullptr;
    QCheckBox *m_worktree = nullptr;
    QLabel *m_hint = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace folio::ui
