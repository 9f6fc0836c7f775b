// WelcomePage: shown in place of the conversation while no model is configured. Explains the three
// ways to get answers — a downloaded DeepSeek-V4-Flash, the demo model (random weights: answers are
// meaningless, it is for trying the workflow), a remote endpoint — and records the choice in
// Settings.
#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace folio::app {
class ModelDirectoryCheck;
class Settings;
} // namespace folio::app

namespace folio::ui {

class WelcomePage : public QWidget
{
    Q_OBJECT

public:
    explicit WelcomePage(folio::app::Settings *settings, QWidget *parent = nullptr);

    // Chooses the demo model (what the "Try the demo model" button does).
    void useDemoModel();
    // Validates `dir` (on appcore's ModelDirectoryCheck thread) and chooses it when it validates;
    // otherwise the reason is shown on the page.
    void useModelDirectory(const QString &dir);
    QString errorText() const;

Q_SIGNALS:
    // A model source was chosen and stored in Settings.
    void modelChosen();
    // The person wants the settings dialog (remote endpoint details).
    void settingsRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();

    folio::app::Settings *m_settings;
    folio::app::ModelDirectoryCheck *m_check = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_intro = nullptr;
    QPushButton *m_localButton = nullptr;
    QLabel *m_localText = nullptr;
    QPushButton *m_demoButton = nullptr;
    QLabel *m_demoText = nullptr;
    QPushButton *m_remoteButton = nullptr;
    QLabel *m_remoteText = nullptr;
    QLabel *m_error = nullptr;
};

} // namespace folio::ui
