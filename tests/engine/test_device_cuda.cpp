// GPU test (label gpu): a usable CUDA device reports a name, memory and compute capability, and
// cuBLAS starts on it. Skips (exit 77) on any CUDA start-up error, e.g. no driver (error 35).
#include "folio/device.h"
#include "folio_test.h"

FOLIO_TEST(cuda_device_query)
{
    folio::DeviceList list = folio::list_devices();
    if (list.cuda.empty()) {
        folio_test::skip("no usable CUDA device: " + list.cuda_error);
        return;
    }
    CHECK(list.cuda_compiled);
    const folio::DeviceInfo &d = list.cuda.front();
    std::printf("cuda:0 %s, %.1f GiB, compute %d.%d, %d SMs\n", d.name.c_str(),
                d.total_memory / double(1ull << 30), d.compute_major, d.compute_minor,
                d.multiprocessors);
    CHECK(d.total_memory > (1ull << 30));
    CHECK(d.compute_major >= 5);
}
