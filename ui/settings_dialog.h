// SettingsDialog: edits appcore's Settings — model (local directory, validated and described; the
// demo model; a remote endpoint), backend, threads, context limit and answer reserve, sampling,
// thinking default, snapshot cap and location, language. Values are written only on OK, and OK
// refuses a local model directory that does not validate. The directory is checked on appcore's
// ModelDirectoryCheck thread as it is typed; OK pressed while a check runs waits for its answer.
#pragma once

#include <QDialog>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;
class QTabWidget;

namespace folio::app {
class ModelDirectoryCheck;
class Settings;
struct BackendChoices;
struct ModelDirectoryInfo;
} // namespace folio::app

namespace folio::ui {

class SettingsDialog : public QDialog
{
    Q_OBJECT

public:
    explicit SettingsDialog(folio::app::Settings *settings, QWidget *parent = nullptr);

    // Writes the values into Settings; false (and the model tab shows why) when the model
    // directory does not validate.
    bool apply();
    // The model-directory check shown under the field ("4 layers, …" or the error).
    QString modelCheckText() const;

public Q_SLOTS:
    void accept() override;
    void showModelTab();

private:
    QWidget *createModelTab();
    QWidget *createEngineTab();
    QWidget *createAnswersTab();
    QWidget *createStorageTab();
    void load();
    void showBackends(const folio::app::BackendChoices &backends);
    void validateModelDirectory();
    void showModelCheck(const QString &dir, const folio::app::ModelDirectoryInfo &info);
    void updateEnabled();

    folio::app::Settings *m_settings;
    QTabWidget *m_tabs = nullptr;
    QRadioButton *m_localRadio = nullptr;
    QRadioButton *m_demoRadio = nullptr;
    QRadioButton *m_remoteRadio = nullptr;
    QLineEdit *m_modelDir = nullptr;
    QLabel *m_modelCheck = nullptr;
    QLabel *m_demoWarning = nullptr;
    QLineEdit *m_remoteUrl = nullptr;
    QLineEdit *m_remoteModel = nullptr;
    QComboBox *m_remotePreset = nullptr;
    QLineEdit *m_remoteKey = nullptr;
    QString m_remoteKeyLoaded; // the stored key, to write the file only when it changed
    QComboBox *m_backend = nullptr;
    QLabel *m_backendNote = nullptr;
    QDoubleSpinBox *m_expertCache = nullptr;
    QSpinBox *m_threads = nullptr;
    QSpinBox *m_contextLimit = nullptr;
    QSpinBox *m_answerReserve = nullptr;
    QDoubleSpinBox *m_temperature = nullptr;
    QDoubleSpinBox *m_topP = nullptr;
    QSpinBox *m_topK = nullptr;
    QSpinBox *m_seed = nullptr;
    QCheckBox *m_thinking = nullptr;
    QSpinBox *m_snapshotCap = nullptr;
    QLineEdit *m_snapshotDir = nullptr;
    QComboBox *m_language = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    folio::app::ModelDirectoryCheck *m_modelDirCheck = nullptr;
    bool m_modelOk = false;
    bool m_acceptWhenChecked = false; // OK was pressed while the directory was being checked
};

} // namespace folio::ui
