// The plain test harness for engine code (no Qt): register cases with FOLIO_TEST, check with
// CHECK / CHECK_EQ / CHECK_NEAR, and main() (in folio_test_main.cpp) runs them all, prints every
// failure with file:line, and ends with the line "N passed, N failed" (read by CI), exiting non-zero
// when anything failed. A case that needs hardware it does not have calls folio_test::skip(), which
// makes the whole executable exit 77 (CTest's SKIP_RETURN_CODE) when nothing else ran.
//
//   FOLIO_TEST(quant_fp8_roundtrip) {
//       CHECK_EQ(fp8_decode(0x38), 1.0f);
//   }
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace folio_test {

struct Case
{
    const char *name;
    std::function<void()> fn;
};

std::vector<Case> &registry();
// Records one failed check of the running case; the case goes on (so one run shows all failures).
void fail(const char *file, int line, const std::string &what);
// Marks the running case as skipped (e.g. no CUDA device) and returns from nothing: call it, then
// return from the case.
void skip(const std::string &why);
// The directory holding the project's test data (tests/data).
std::string data_dir();

struct Registrar
{
    Registrar(const char *name, std::function<void()> fn)
    {
        registry().push_back({name, std::move(fn)});
    }
};

template<class A, class B>
std::string describe(const A &a, const B &b)
{
    std::ostringstream os;
    os << a << " vs " << b;
    return os.str();
}

} // namespace folio_test

#define FOLIO_TEST_CAT2(a, b) a##b
#define FOLIO_TEST_CAT(a, b) FOLIO_TEST_CAT2(a, b)
#define FOLIO_TEST(name) \
    static void folio_test_##name(); \
    static folio_test::Registrar FOLIO_TEST_CAT(folio_test_reg_, name)(#name, folio_test_##name); \
    static void folio_test_##name()

#define CHECK(cond) \
    do { \
        if (!(cond)) \
            folio_test::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
    } while (0)

#define CHECK_EQ(a, b) \
    do { \
        const auto &folio_a_ = (a); \
        const auto &folio_b_ = (b); \
        if (!(folio_a_ == folio_b_)) \
            folio_test::fail(__FILE__, __LINE__, \
                             "CHECK_EQ(" #a ", " #b "): " \
                                 + folio_test::describe(folio_a_, folio_b_)); \
    } while (0)

#define CHECK_NEAR(a, b, tol) \
    do { \
        const double folio_a_ = (a), folio_b_ = (b); \
        if (!(std::fabs(folio_a_ - folio_b_) <= (tol))) \
            folio_test::fail(__FILE__, __LINE__, \
                             "CHECK_NEAR(" #a ", " #b ", " #tol "): " \
                                 + folio_test::describe(folio_a_, folio_b_)); \
    } while (0)

// Stops the running case (after recording the failure) when a precondition for the rest is false.
#define REQUIRE(cond) \
    do { \
        if (!(cond)) { \
            folio_test::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")"); \
            return; \
        } \
    } while (0)
