// main() of every plain-harness test executable: runs the registered cases (all, or those whose
// names contain argv[1]), prints each failure, and ends with "N passed, N failed[, N skipped]".
#include "folio_test.h"

#include <cstdlib>
#include <cstring>
#include <exception>

namespace folio_test {
namespace {
int g_failures_in_case = 0;
bool g_skipped = false;
} // namespace

std::vector<Case> &registry()
{
    static std::vector<Case> cases;
    return cases;
}

void fail(const char *file, int line, const std::string &what)
{
    ++g_failures_in_case;
    std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
}

void skip(const std::string &why)
{
    g_skipped = true;
    std::fprintf(stderr, "  SKIP: %s\n", why.c_str());
}

std::string data_dir()
{
    if (const char *env = std::getenv("FOLIO_TEST_DATA_DIR"))
        return env;
#ifdef FOLIO_TEST_DATA_DIR
    return FOLIO_TEST_DATA_DIR;
#else
    return "tests/data";
#endif
}

} // namespace folio_test

int main(int argc, char **argv)
{
    using namespace folio_test;
    const char *filter = argc > 1 ? argv[1] : nullptr;
    int passed = 0, failed = 0, skipped = 0;
    for (const Case &c : registry()) {
        if (filter && !std::strstr(c.name, filter))
            continue;
        g_failures_in_case = 0;
        g_skipped = false;
        std::fprintf(stderr, "[ RUN  ] %s\n", c.name);
        try {
            c.fn();
        } catch (const std::exception &e) {
            fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
        } catch (...) {
            fail(__FILE__, __LINE__, "uncaught non-standard exception");
        }
        if (g_failures_in_case) {
            ++failed;
            std::fprintf(stderr, "[ FAIL ] %s (%d checks failed)\n", c.name, g_failures_in_case);
        } else if (g_skipped) {
            ++skipped;
            std::fprintf(stderr, "[ SKIP ] %s\n", c.name);
        } else {
            ++passed;
            std::fprintf(stderr, "[  OK  ] %s\n", c.name);
        }
    }
    std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (failed)
        return 1;
    if (skipped && !passed)
        return 77; // CTest SKIP_RETURN_CODE: nothing could run here
    return 0;
}
