// WelcomePage: three choices, each a button with a paragraph under it.
#include "ui/welcome_page.h"

#include "app/model_directory_check.h"
#include "app/settings.h"

#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace folio::ui {

WelcomePage::WelcomePage(folio::app::Settings *settings, QWidget *parent)
    : QWidget(parent)
    , m_settings(settings)
{
    setObjectName(QStringLiteral("welcomePage"));
    m_check = new folio::app::ModelDirectoryCheck(this);
    connect(m_check, &folio::app::ModelDirectoryCheck::inspected, this,
            [this](const QString &dir, const folio::app::ModelDirectoryInfo &info) {
                if (!info.ok) {
                    m_error->setText(info.error);
                    return;
                }
                m_error->clear();
                m_settings->setModelDirectory(dir);
                m_settings->setModelSource(folio::app::ModelSource::Local);
                Q_EMIT modelChosen();
            });
    m_title = new QLabel;
    m_intro = new QLabel;
    m_localButton = new QPushButton;
    m_localButton->setObjectName(QStringLiteral("welcomeLocalButton"));
    m_localText = new QLabel;
    m_demoButton = new QPushButton;
    m_demoButton->setObjectName(QStringLiteral("welcomeDemoButton"));
    m_demoText = new QLabel;
    m_demoText->setObjectName(QStringLiteral("welcomeDemoWarning"));
    m_remoteButton = new QPushButton;
    m_remoteButton->setObjectName(QStringLiteral("welcomeRemoteButton"));
    m_remoteText = new QLabel;
    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("welcomeError"));
    for (QLabel *label : {m_intro, m_localText, m_demoText, m_remoteText, m_error}) {
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.6);
    titleFont.setBold(true);
    m_title->setFont(titleFont);

    auto *column = new QWidget;
    column->setMaximumWidth(560);
    auto *layout = new QVBoxLayout(column);
    layout->addWidget(m_title);
    layout->addWidget(m_intro);
    layout->addSpacing(12);
    for (auto [button, text] :
         {std::pair{m_localButton, m_localText}, std::pair{m_demoButton, m_demoText},
          std::pair{m_remoteButton, m_remoteText}}) {
        layout->addWidget(button, 0, Qt::AlignLeft);
        layout->addWidget(text);
        layout->addSpacing(10);
    }
    layout->addWidget(m_error);
    layout->addStretch(1);
    auto *outer = new QVBoxLayout(this);
    outer->addWidget(column, 1, Qt::AlignHCenter);

    connect(m_localButton, &QPushButton::clicked, this, [this] {
        const QString dir
            = QFileDialog::getExistingDirectory(this, tr("Choose the DeepSeek-V4-Flash directory"),
                                                m_settings->modelDirectory());
        if (!dir.isEmpty())
            useModelDirectory(dir);
    });
    connect(m_demoButton, &QPushButton::clicked, this, &WelcomePage::useDemoModel);
    connect(m_remoteButton, &QPushButton::clicked, this, &WelcomePage::settingsRequested);
    retranslate();
}

void WelcomePage::retranslate()
{
    setAccessibleName(tr("Welcome"));
    m_title->setText(tr("Welcome to Folio"));
    m_intro->setText(tr("Folio answers questions about whole repositories and long documents with "
                        "DeepSeek-V4-Flash. Choose where the answers come from; you can change it "
                        "later in Settings."));
    m_localButton->setText(tr("Use a downloaded DeepSeek-V4-Flash…"));
    m_localButton->setAccessibleName(tr("Use a downloaded DeepSeek-V4-Flash"));
    m_localText->setText(tr("Point Folio at the directory with config.json, tokenizer.json and the "
                            "*.safetensors shards. It runs on your machine: nothing leaves it."));
    m_demoButton->setText(tr("Try the demo model"));
    m_demoButton->setAccessibleName(tr("Try the demo model"));
    m_demoText->setText(
        tr("<b>Random weights: its answers are meaningless.</b> The small demo model built with "
           "Folio exists so you can try the workflow — adding sources, streaming answers, "
           "citations, sessions — in seconds, without downloading 150 GB."));
    m_remoteButton->setText(tr("Connect to a remote endpoint…"));
    m_remoteButton->setAccessibleName(tr("Connect to a remote endpoint"));
    m_remoteText->setText(tr("Use a Folio server or any OpenAI-compatible endpoint that serves "
                             "DeepSeek-V4-Flash, for example on a bigger machine."));
    m_error->setAccessibleName(tr("Problem with the chosen model"));
}

void WelcomePage::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LanguageChange)
        retranslate();
}

void WelcomePage::useDemoModel()
{
    const QString dir = folio::app::Settings::defaultDemoModelDirectory();
    if (!QFileInfo(dir).isDir()) {
        m_error->setText(tr("The demo model is not at %1. Build it with "
                            "`cmake --build build --target folio-demo-model`.")
                             .arg(dir));
        return;
    }
    m_error->clear();
    m_settings->setModelSource(folio::app::ModelSource::Demo);
    Q_EMIT modelChosen();
}

void WelcomePage::useModelDirectory(const QString &dir)
{
    m_error->setText(tr("Checking %1…").arg(dir));
    m_check->inspect(dir);
}

QString WelcomePage::errorText() const
{
    return m_error->text();
}

} // namespace folio::ui
