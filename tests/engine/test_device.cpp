// The device list answers without crashing on any machine, and says why CUDA is unavailable.
#include "folio/device.h"
#include "folio_test.h"

FOLIO_TEST(device_list_explains_absent_cuda)
{
    folio::DeviceList list = folio::list_devices();
    if (list.cuda.empty())
        CHECK(!list.cuda_error.empty());
    for (const auto &d : list.cuda) {
        CHECK(!d.name.empty());
        CHECK(d.total_memory > 0);
        CHECK(d.compute_major > 0);
    }
}

FOLIO_TEST(cpu_description_names_simd_level)
{
    std::string cpu = folio::cpu_description();
    CHECK(cpu.find("threads") != std::string::npos);
}

FOLIO_TEST(engine_version_is_set)
{
    CHECK(std::string(folio::engine_version()) != "0.0.0");
}
