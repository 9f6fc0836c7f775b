// folio: the desktop application's entry point (the composition root of the GUI).
//   folio                                   the application
//   folio --screenshot-tour OUTDIR SRCDIR   writes PNGs of the main states (tools/screenshots.sh)
#include "app/app_info.h"
#include "ui/main_window.h"
#include "ui/screenshot_tour.h"

#include <QApplication>

#include <cstdio>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    folio::app::initApplicationIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Folio"));
    const QStringList args = QApplication::arguments();
    const qsizetype tour = args.indexOf(QStringLiteral("--screenshot-tour"));
    if (tour >= 0) {
        if (tour + 2 >= args.size()) {
            fprintf(stderr, "usage: folio --screenshot-tour OUTDIR SOURCE_DIR\n");
            return 2;
        }
        return folio::ui::runScreenshotTour(args.at(tour + 1), args.at(tour + 2));
    }
    folio::ui::MainWindow window;
    window.show();
    return app.exec();
}
