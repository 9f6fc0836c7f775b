// SettingsDialog: four tabs of form rows over Settings; the model directory is validated as it is
// typed, on ModelDirectoryCheck's thread (the engine's config reader and the shard index's JSON,
// megabytes for the real model, never run on the UI thread).
#include "ui/settings_dialog.h"

#include "app/backend_choices.h"
#include "app/model_directory_check.h"
#include "app/remote/api_key_store.h"
#include "app/remote/endpoint_presets.h"
#include "app/settings.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QThread>
#include <QVBoxLayout>

#include <utility>

namespace folio::ui {

namespace {
template<class W>
W *named(W *w, const char *objectName, const QString &accessible)
{
    w->setObjectName(QLatin1String(objectName));
    w->setAccessibleName(accessible);
    return w;
}

// A line edit with a "Browse…" button that picks a directory.
QWidget *withBrowse(QLineEdit *edit, QWidget *parent, const QString &title)
{
    auto *row = new QWidget;
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *browse = new QPushButton(SettingsDialog::tr("Browse…"));
    browse->setAccessibleName(title);
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, parent, [edit, parent, title] {
        const QString dir = QFileDialog::getExistingDirectory(parent, title, edit->text());
        if (!dir.isEmpty())
            edit->setText(dir);
    });
    return row;
}
} // namespace

SettingsDialog::SettingsDialog(folio::app::Settings *settings, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
{
    setObjectName(QStringLiteral("settingsDialog"));
    m_modelDirCheck = new folio::app::ModelDirectoryCheck(this);
    connect(m_modelDirCheck, &folio::app::ModelDirectoryCheck::inspected, this,
            &SettingsDialog::showModelCheck);
    setWindowTitle(tr("Settings"));
    setAccessibleName(tr("Settings"));
    m_tabs = named(new QTabWidget, "settingsTabs", tr("Settings sections"));
    m_tabs->addTab(createModelTab(), tr("&Model"));
    m_tabs->addTab(createEngineTab(), tr("&Engine"));
    m_tabs->addTab(createAnswersTab(), tr("&Answers"));
    m_tabs->addTab(createStorageTab(), tr("&Storage and language"));
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_buttons->setObjectName(QStringLiteral("settingsButtons"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_buttons);
    load();
    resize(620, 460);
}

QWidget *SettingsDialog::createModelTab()
{
    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    m_localRadio = named(new QRadioButton(
                             tr("A downloaded DeepSeek-V4-Flash (or another checkpoint "
                                "of its architecture)")),
                         "localModelRadio", tr("Use a downloaded model"));
    m_modelDir = named(new QLineEdit, "modelDirectoryEdit", tr("Model directory"));
    m_modelDir->setPlaceholderText(
        tr("Directory with config.json, tokenizer.json and *.safetensors"));
    m_modelCheck = named(new QLabel, "modelCheckLabel", tr("Model directory check"));
    m_modelCheck->setWordWrap(true);
    m_modelCheck->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_demoRadio = named(new QRadioButton(tr("The demo model built with Folio")), "demoModelRadio",
                        tr("Use the demo model"));
    m_demoWarning = new QLabel(
        tr("The demo model has random weights: its answers are meaningless. It exists so you can "
           "try the whole workflow (sources, streaming, citations, sessions) without a 150 GB "
           "download."));
    m_demoWarning->setObjectName(QStringLiteral("demoWarning"));
    m_demoWarning->setWordWrap(true);
    m_remoteRadio = named(new QRadioButton(tr("A remote OpenAI-compatible endpoint")),
                          "remoteModelRadio", tr("Use a remote endpoint"));
    m_remoteUrl = named(new QLineEdit, "remoteUrlEdit", tr("Endpoint URL"));
    m_remoteUrl->setPlaceholderText(QStringLiteral("http://127.0.0.1:8080/v1"));
    m_remoteModel = named(new QLineEdit, "remoteModelEdit", tr("Remote model name"));
    m_remotePreset = named(new QComboBox, "remotePresetCombo", tr("Endpoint preset"));
    m_remotePreset->addItem(tr("Custom"), QString());
    for (const folio::remote::EndpointPreset &p : folio::remote::endpointPresets())
        m_remotePreset->addItem(p.displayName, p.id);
    m_remoteKey = named(new QLineEdit, "remoteKeyEdit", tr("API key"));
    m_remoteKey->setEchoMode(QLineEdit::Password);
    m_remoteKey->setPlaceholderText(tr("kept in a file only you can read; empty: none"));
    connect(m_remotePreset, &QComboBox::activated, this, [this](int index) {
        const folio::remote::EndpointPreset *p = folio::remote::findPreset(
            m_remotePreset->itemData(index).toString());
        if (!p)
            return;
        m_remoteUrl->setText(p->baseUrl.toString());
        if (!p->models.isEmpty())
            m_remoteModel->setText(p->models.first());
    });

    auto *group = new QButtonGroup(this);
    group->addButton(m_localRadio);
    group->addButton(m_demoRadio);
    group->addButton(m_remoteRadio);

    auto *remoteForm = new QFormLayout;
    remoteForm->addRow(tr("Preset:"), m_remotePreset);
    remoteForm->addRow(tr("URL:"), m_remoteUrl);
    remoteForm->addRow(tr("Model:"), m_remoteModel);
    remoteForm->addRow(tr("API key:"), m_remoteKey);

    layout->addWidget(m_localRadio);
    layout->addWidget(withBrowse(m_modelDir, this, tr("Choose the model directory")));
    layout->addWidget(m_modelCheck);
    layout->addSpacing(8);
    layout->addWidget(m_demoRadio);
    layout->addWidget(m_demoWarning);
    layout->addSpacing(8);
    layout->addWidget(m_remoteRadio);
    layout->addLayout(remoteForm);
    layout->addStretch(1);

    connect(m_modelDir, &QLineEdit::textChanged, this, &SettingsDialog::validateModelDirectory);
    for (QRadioButton *radio : {m_localRadio, m_demoRadio, m_remoteRadio})
        connect(radio, &QRadioButton::toggled, this, &SettingsDialog::updateEnabled);
    return page;
}

QWidget *SettingsDialog::createEngineTab()
{
    auto *page = new QWidget;
    auto *form = new QFormLayout(page);
    m_backend = named(new QComboBox, "backendCombo", tr("Backend"));
    // Auto, CPU and remote at once; the CUDA devices when the engine has listed them (off the UI
    // thread: initialising CUDA takes a while).
    for (const auto &choice : folio::app::basicBackends().choices)
        m_backend->addItem(choice.label, choice.id);
    m_backendNote = new QLabel(tr("Looking for CUDA devices…"));
    m_backendNote->setObjectName(QStringLiteral("backendNote"));
    m_backendNote->setWordWrap(true);
    auto *devices = new folio::app::BackendQuery(this);
    connect(devices, &folio::app::BackendQuery::listed, this, &SettingsDialog::showBackends);
    devices->start();
    m_expertCache = named(new QDoubleSpinBox, "expertCacheSpin",
                          tr("Expert cache on each GPU in GiB"));
    m_expertCache->setRange(0, 4096);
    m_expertCache->setDecimals(1);
    m_expertCache->setSingleStep(4);
    m_expertCache->setSuffix(tr(" GiB"));
    m_expertCache->setSpecialValueText(tr("Off (all experts on the GPU)"));
    m_expertCache->setToolTip(tr("Keep the routed experts in host memory and cache the most used "
                                 "ones on each GPU: for a model larger than the GPU's memory."));
    // The remote endpoint is both a device choice and a model source: keep the two in step.
    connect(m_backend, &QComboBox::activated, this, [this](int index) {
        m_backend->setCurrentIndex(index);
        if (m_backend->currentData().toString() == QLatin1String("remote"))
            m_remoteRadio->setChecked(true);
        else if (m_remoteRadio->isChecked())
            m_localRadio->setChecked(true);
        updateEnabled();
    });
    m_threads = named(new QSpinBox, "threadsSpin", tr("Threads"));
    m_threads->setRange(0, 1024);
    m_threads->setSpecialValueText(tr("Automatic (%1)").arg(QThread::idealThreadCount()));
    m_contextLimit = named(new QSpinBox, "contextLimitSpin", tr("Context limit in tokens"));
    m_contextLimit->setRange(4096, folio::app::Settings::kMaxContextTokens);
    m_contextLimit->setSingleStep(4096);
    m_contextLimit->setGroupSeparatorShown(true);
    m_answerReserve = named(new QSpinBox, "answerReserveSpin", tr("Answer reserve in tokens"));
    m_answerReserve->setRange(256, folio::app::Settings::kMaxContextTokens / 2);
    m_answerReserve->setSingleStep(1024);
    m_answerReserve->setGroupSeparatorShown(true);
    form->addRow(tr("&Backend:"), m_backend);
    form->addRow(QString(), m_backendNote);
    form->addRow(tr("&Expert cache:"), m_expertCache);
    form->addRow(tr("&Threads:"), m_threads);
    form->addRow(tr("&Context limit:"), m_contextLimit);
    form->addRow(tr("Answer &reserve:"), m_answerReserve);
    return page;
}

QWidget *SettingsDialog::createAnswersTab()
{
    auto *page = new QWidget;
    auto *form = new QFormLayout(page);
    m_temperature = named(new QDoubleSpinBox, "temperatureSpin", tr("Temperature"));
    m_temperature->setRange(0.0, 2.0);
    m_temperature->setSingleStep(0.05);
    m_topP = named(new QDoubleSpinBox, "topPSpin", tr("Top-p"));
    m_topP->setRange(0.0, 1.0);
    m_topP->setSingleStep(0.01);
    m_topK = named(new QSpinBox, "topKSpin", tr("Top-k"));
    m_topK->setRange(0, 1000);
    m_topK->setSpecialValueText(tr("Off"));
    m_seed = named(new QSpinBox, "seedSpin", tr("Seed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setSpecialValueText(tr("Random"));
    m_thinking = named(new QCheckBox(tr("Think before answering by default")), "thinkingCheck",
                       tr("Thinking by default"));
    form->addRow(tr("T&emperature:"), m_temperature);
    form->addRow(tr("Top-&p:"), m_topP);
    form->addRow(tr("Top-&k:"), m_topK);
    form->addRow(tr("S&eed:"), m_seed);
    form->addRow(QString(), m_thinking);
    return page;
}

QWidget *SettingsDialog::createStorageTab()
{
    auto *page = new QWidget;
    auto *form = new QFormLayout(page);
    m_snapshotCap = named(new QSpinBox, "snapshotCapSpin", tr("Snapshot storage cap in GiB"));
    m_snapshotCap->setRange(0, 100'000);
    m_snapshotCap->setSuffix(tr(" GiB"));
    m_snapshotCap->setSpecialValueText(tr("No snapshots"));
    m_snapshotDir = named(new QLineEdit, "snapshotDirEdit", tr("Snapshot location"));
    m_language = named(new QComboBox, "languageCombo", tr("Language"));
    // Language names are written in their own language so anyone can find theirs.
    m_language->addItem(tr("System language"), QString());
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("简体中文"), QStringLiteral("zh_CN"));
    m_language->addItem(QStringLiteral("Deutsch"), QStringLiteral("de"));
    form->addRow(tr("Snapshot &cap:"), m_snapshotCap);
    form->addRow(tr("Snapshot &location:"),
                 withBrowse(m_snapshotDir, this, tr("Choose the snapshot location")));
    form->addRow(tr("&Language:"), m_language);
    return page;
}

void SettingsDialog::load()
{
    using folio::app::ModelSource;
    const ModelSource source = m_settings->modelSource();
    m_localRadio->setChecked(source == ModelSource::Local || source == ModelSource::None);
    m_demoRadio->setChecked(source == ModelSource::Demo);
    m_remoteRadio->setChecked(source == ModelSource::Remote);
    m_modelDir->setText(m_settings->modelDirectory());
    m_remoteUrl->setText(m_settings->remoteUrl());
    m_remoteModel->setText(m_settings->remoteModel());
    if (const folio::remote::EndpointPreset *p = folio::remote::presetForUrl(
            QUrl(m_settings->remoteUrl())))
        m_remotePreset->setCurrentIndex(std::max(0, m_remotePreset->findData(p->id)));
    m_remoteKeyLoaded = m_settings->remoteUrl().isEmpty()
                            ? QString()
                            : folio::remote::ApiKeyStore().key(QUrl(m_settings->remoteUrl()));
    m_remoteKey->setText(m_remoteKeyLoaded);
    const QString device = m_settings->modelSource() == ModelSource::Remote
                               ? QStringLiteral("remote")
                               : m_settings->device();
    int backend = m_backend->findData(device);
    if (backend < 0 && device.startsWith(QLatin1String("cuda:"))) {
        // The stored device until the engine's list arrives (showBackends() replaces it).
        backend = m_backend->count() - 1; // before "remote"
        m_backend->insertItem(backend, device, device);
    }
    m_backend->setCurrentIndex(backend >= 0 ? backend : 0);
    m_expertCache->setValue(m_settings->expertCacheGiB());
    m_threads->setValue(m_settings->threads());
    m_contextLimit->setValue(m_settings->contextLimit());
    m_answerReserve->setValue(m_settings->answerReserve());
    const folio::app::SamplingSettings s = m_settings->sampling();
    m_temperature->setValue(s.temperature);
    m_topP->setValue(s.topP);
    m_topK->setValue(s.topK);
    m_seed->setValue(int(std::min<quint64>(s.seed, quint64(std::numeric_limits<int>::max()))));
    m_thinking->setChecked(m_settings->thinkingByDefault());
    m_snapshotCap->setValue(m_settings->snapshotCapGiB());
    m_snapshotDir->setText(m_settings->snapshotDirectory());
    const int language = m_language->findData(m_settings->language());
    m_language->setCurrentIndex(language >= 0 ? language : 0);
    validateModelDirectory();
    updateEnabled();
}

void SettingsDialog::showBackends(const folio::app::BackendChoices &backends)
{
    const QString current = m_backend->currentData().toString();
    m_backend->clear();
    for (const auto &choice : backends.choices)
        m_backend->addItem(choice.label, choice.id);
    // A stored device the engine no longer lists falls back to Automatic, as apply() would.
    m_backend->setCurrentIndex(std::max(0, m_backend->findData(current)));
    m_backendNote->setText(backends.note);
    updateEnabled();
}

void SettingsDialog::validateModelDirectory()
{
    m_modelOk = false;
    m_modelCheck->setText(tr("Checking the model directory…"));
    m_modelDirCheck->inspect(m_modelDir->text());
}

void SettingsDialog::showModelCheck(const QString &dir, const folio::app::ModelDirectoryInfo &info)
{
    if (dir != m_modelDir->text())
        return; // a check of text since replaced (the latest one is on its way)
    m_modelOk = info.ok;
    if (std::exchange(m_acceptWhenChecked, false))
        QMetaObject::invokeMethod(this, &SettingsDialog::accept, Qt::QueuedConnection);
    if (!info.ok) {
        m_modelCheck->setText(QStringLiteral("<span style=\"color:%1\">%2</span>")
                                  .arg(palette().color(QPalette::Disabled, QPalette::Text).name(),
                                       info.error.toHtmlEscaped()));
        return;
    }
    QString text = tr("%1 layers, hidden size %2, %3 routed experts, context %L4 tokens; weights "
                      "%5, experts %6; %7 shards, %8 GiB needed in memory.")
                       .arg(info.layers)
                       .arg(info.hiddenSize)
                       .arg(info.routedExperts)
                       .arg(info.contextTokens)
                       .arg(info.weightFormat, info.expertFormat)
                       .arg(info.shards)
                       .arg(double(info.weightBytes) / double(1ull << 30), 0, 'f', 1);
    if (info.looksLikeDemo)
        text += QLatin1Char(' ') + tr("This is the random-weight demo model.");
    m_modelCheck->setText(text.toHtmlEscaped());
}

QString SettingsDialog::modelCheckText() const
{
    return m_modelCheck->text();
}

void SettingsDialog::updateEnabled()
{
    m_modelDir->parentWidget()->setEnabled(m_localRadio->isChecked());
    m_modelCheck->setEnabled(m_localRadio->isChecked());
    m_remoteUrl->setEnabled(m_remoteRadio->isChecked());
    m_remoteModel->setEnabled(m_remoteRadio->isChecked());
    m_remotePreset->setEnabled(m_remoteRadio->isChecked());
    m_remoteKey->setEnabled(m_remoteRadio->isChecked());
    // The device follows the model source: a remote endpoint has none of this machine's.
    const QString device = m_backend->currentData().toString();
    if (m_remoteRadio->isChecked() && device != QLatin1String("remote"))
        m_backend->setCurrentIndex(m_backend->findData(QStringLiteral("remote")));
    else if (!m_remoteRadio->isChecked() && device == QLatin1String("remote"))
        m_backend->setCurrentIndex(0);
    m_expertCache->setEnabled(!m_remoteRadio->isChecked()
                              && m_backend->currentData().toString() != QLatin1String("cpu"));
}

void SettingsDialog::showModelTab()
{
    m_tabs->setCurrentIndex(0);
}

bool SettingsDialog::apply()
{
    using folio::app::ModelSource;
    if (m_localRadio->isChecked() && !m_modelOk) {
        showModelTab();
        m_modelDir->setFocus();
        return false;
    }
    if (m_remoteRadio->isChecked() && m_remoteUrl->text().trimmed().isEmpty()) {
        showModelTab();
        m_remoteUrl->setFocus();
        return false;
    }
    m_settings->setModelSource(m_localRadio->isChecked()  ? ModelSource::Local
                               : m_demoRadio->isChecked() ? ModelSource::Demo
                                                          : ModelSource::Remote);
    m_settings->setModelDirectory(m_modelDir->text().trimmed());
    if (m_remoteRadio->isChecked() && m_remoteKey->text() != m_remoteKeyLoaded) {
        // The key goes to the owner-only key file, never into QSettings.
        QString error;
        if (!folio::remote::ApiKeyStore().setKey(QUrl(m_remoteUrl->text().trimmed()),
                                                 m_remoteKey->text().trimmed(), &error)) {
            showModelTab();
            m_remoteKey->setFocus();
            m_remoteKey->setToolTip(error);
            return false;
        }
    }
    m_settings->setRemoteUrl(m_remoteUrl->text());
    m_settings->setRemoteModel(m_remoteModel->text());
    if (m_remoteRadio->isChecked())
        m_settings->setBackend(QStringLiteral("remote"));
    else if (!m_settings->setDevice(m_backend->currentData().toString()))
        m_settings->setDevice(QStringLiteral("auto")); // a device this engine no longer lists
    m_settings->setExpertCacheGiB(m_expertCache->value());
    m_settings->setThreads(m_threads->value());
    m_settings->setContextLimit(m_contextLimit->value());
    m_settings->setAnswerReserve(m_answerReserve->value());
    folio::app::SamplingSettings s;
    s.temperature = m_temperature->value();
    s.topP = m_topP->value();
    s.topK = m_topK->value();
    s.seed = quint64(m_seed->value());
    m_settings->setSampling(s);
    m_settings->setThinkingByDefault(m_thinking->isChecked());
    m_settings->setSnapshotCapGiB(m_snapshotCap->value());
    m_settings->setSnapshotDirectory(m_snapshotDir->text().trimmed());
    m_settings->setLanguage(m_language->currentData().toString());
    m_settings->sync();
    return true;
}

void SettingsDialog::accept()
{
    if (m_localRadio->isChecked() && m_modelDirCheck->isPending()) {
        m_acceptWhenChecked = true; // taken again once the directory as typed is checked
        return;
    }
    if (apply())
        QDialog::accept();
}

} // namespace folio::ui
