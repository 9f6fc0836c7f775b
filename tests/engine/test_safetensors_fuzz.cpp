// libFuzzer entry point for the safetensors header parser (built only with clang, see
// tests/engine/CMakeLists.txt; not a CTest test). The always-on fuzz test is the case
// safetensors_fuzz_headers in test_safetensors.cpp; this target explores further with coverage
// guidance and AddressSanitizer:
//
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DFOLIO_BUILD_APP=OFF
//   cmake --build build-fuzz --target fuzz_safetensors
//   build-fuzz/tests/engine/fuzz_safetensors -max_total_time=60 tests/data/golden/*/model.safetensors
//
// Property checked: a parse either fails or returns tensors that lie inside the input.
#include "safetensors.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // An exact-size copy so any read past the end is caught by AddressSanitizer.
    std::vector<std::uint8_t> buf(data, data + size);
    folio::Result<std::vector<folio::TensorView>> r = folio::parse_safetensors(buf.data(),
                                                                               buf.size(), "fuzz");
    if (r) {
        for (const folio::TensorView &t : *r) {
            if (t.nbytes == 0)
                continue;
            if (t.data < buf.data() || t.data + t.nbytes > buf.data() + buf.size())
                std::abort();
        }
    }
    return 0;
}
