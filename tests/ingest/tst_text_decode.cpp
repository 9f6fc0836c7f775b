// The text decoder (rule in ingest/text_decode.h): each branch of the rule, malformed input, and a
// fuzz run over random bytes that checks the output is always valid UTF-8 and that valid UTF-8
// passes through unchanged.
#include "ingest/source.h"
#include "ingest/text_decode.h"

#include <QRandomGenerator>
#include <QTest>

using namespace folio::ingest;

class TestTextDecode : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decode_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("encoding");
        QTest::addColumn<QByteArray>("utf8");
        QTest::newRow("empty") << QByteArray() << "utf-8" << QByteArray();
        QTest::newRow("ASCII") << QByteArray("int x;\n") << "utf-8" << QByteArray("int x;\n");
        QTest::newRow("UTF-8 multibyte")
            << QByteArray("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") << "utf-8"
            << QByteArray("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
        QTest::newRow("UTF-8 BOM stripped")
            << QByteArray("\xef\xbb\xbfhi") << "utf-8-bom" << QByteArray("hi");
        QTest::newRow("BOM before invalid UTF-8 falls back to Latin-1")
            << QByteArray("\xef\xbb\xbf\xff") << "latin-1"
            << QByteArray("\xc3\xaf\xc2\xbb\xc2\xbf\xc3\xbf");
        QTest::newRow("UTF-16LE BOM") << QByteArray("\xff\xfe"
                                                    "a\0\xe9\0",
                                                    6)
                                      << "utf-16le" << QByteArray("a\xc3\xa9");
        QTest::newRow("UTF-16BE BOM")
            << QByteArray("\xfe\xff\0a\0\xe9", 6) << "utf-16be" << QByteArray("a\xc3\xa9");
        QTest::newRow("UTF-16LE surrogate pair") << QByteArray("\xff\xfe\x3d\xd8\x00\xde", 6)
                                                 << "utf-16le" << QByteArray("\xf0\x9f\x98\x80");
        QTest::newRow("UTF-16LE lone surrogate → U+FFFD") << QByteArray("\xff\xfe\x3d\xd8"
                                                                        "a\0",
                                                                        6)
                                                          << "utf-16le"
                                                          << QByteArray("\xef\xbf\xbd"
                                                                        "a");
        QTest::newRow("UTF-16LE odd trailing byte → U+FFFD")
            << QByteArray("\xff\xfe"
                          "a\0b",
                          5)
            << "utf-16le" << QByteArray("a\xef\xbf\xbd");
        QTest::newRow("Latin-1 fallback")
            << QByteArray("caf\xe9") << "latin-1" << QByteArray("caf\xc3\xa9");
        QTest::newRow("overlong encoding is not UTF-8")
            << QByteArray("\xc0\xaf") << "latin-1" << QByteArray("\xc3\x80\xc2\xaf");
        QTest::newRow("encoded surrogate is not UTF-8")
            << QByteArray("\xed\xa0\x80") << "latin-1" << QByteArray("\xc3\xad\xc2\xa0\xc2\x80");
        QTest::newRow("above U+10FFFF is not UTF-8")
            << QByteArray("\xf4\x90\x80\x80") << "latin-1"
            << QByteArray("\xc3\xb4\xc2\x90\xc2\x80\xc2\x80");
        QTest::newRow("truncated sequence")
            << QByteArray("ab\xe2\x82") << "latin-1" << QByteArray("ab\xc3\xa2\xc2\x82");
    }

    void decode()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, encoding);
        QFETCH(QByteArray, utf8);
        const DecodedText d = decodeText(input);
        QCOMPARE(encodingName(d.encoding), encoding);
        QCOMPARE(d.utf8, utf8);
        QVERIFY(isValidUtf8(d.utf8));
    }

    void validatorAgreesWithQt_data()
    {
        QTest::addColumn<int>("seed");
        for (int s = 1; s <= 4; ++s)
            QTest::newRow(qPrintable(QStringLiteral("seed %1").arg(s))) << s;
    }

    // Fuzz: random bytes (biased towards UTF-8-looking sequences) always decode to valid UTF-8;
    // our validator agrees with a round trip through QString on whether input is valid UTF-8.
    void validatorAgreesWithQt()
    {
        QFETCH(int, seed);
        QRandomGenerator rng{quint32(seed)};
        static const unsigned char interesting[] = {0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
                                                    0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff};
        for (int round = 0; round < 20000; ++round) {
            QByteArray b(rng.bounded(1, 24), Qt::Uninitialized);
            for (char &c : b)
                c = char(rng.bounded(3) == 0 ? interesting[rng.bounded(16)] : rng.bounded(256));
            const DecodedText d = decodeText(b);
            QVERIFY(isValidUtf8(d.utf8));
            const bool valid = isValidUtf8(b);
            const bool qtValid = QString::fromUtf8(b).toUtf8() == b;
            if (valid != qtValid)
                QFAIL(qPrintable(QStringLiteral("validator disagrees on %1")
                                     .arg(QString::fromLatin1(b.toHex()))));
            if (valid && !hasUtf16Bom(b) && !b.startsWith("\xef\xbb\xbf"))
                QCOMPARE(d.utf8, b);
        }
    }

    void displayPathEscapesInvalidBytes()
    {
        QCOMPARE(displayPath("src/a.cpp"), QStringLiteral("src/a.cpp"));
        QCOMPARE(displayPath("bad\xff.txt"), QStringLiteral("bad\\xff.txt"));
        QCOMPARE(displayPath("caf\xc3\xa9\xe9"), QStringLiteral("caf\u00e9\\xe9"));
    }

    void blobIdMatchesGit()
    {
        // `printf 'hello\n' | git hash-object --stdin`
        QCOMPARE(blobIdOf("hello\n"), QByteArray("ce013625030ba8dba906f756967f9e9ca394464a"));
        QCOMPARE(blobIdOf(""), QByteArray("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"));
    }

    void largeInputIsLinear()
    {
        // 32 MiB of valid UTF-8 and of Latin-1: both decode quickly and exactly.
        QByteArray big(32 << 20, 'a');
        big[100] = char(0xe9);
        const DecodedText d = decodeText(big);
        QCOMPARE(d.encoding, TextEncoding::Latin1);
        QCOMPARE(d.utf8.size(), big.size() + 1);
    }
};

QTEST_GUILESS_MAIN(TestTextDecode)
#include "tst_text_decode.moc"
