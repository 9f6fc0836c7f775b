// folio: the desktop application's entry point (the composition root of the GUI).
#include "app/app_info.h"
#include "ui/main_window.h"

#include <QApplication>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    folio::app::initApplicationIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Folio"));
    folio::ui::MainWindow window;
    window.show();
    return app.exec();
}
