// The device list answers without crashing on any machine, and says why CUDA is unavailable;
// --device / --gpus parse; Model::load resolves the device (on a machine without a usable GPU:
// "cuda" is a clear error, "auto" falls back to the CPU and says why).
#include "folio/device.h"
#include "folio/engine.h"
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

// --device / --gpus parsing (LoadOptions::device, folio-cli --device, the settings).
FOLIO_TEST(device_request_parses_every_form)
{
    using folio::DeviceRequest;
    auto cpu = folio::parse_device_request("cpu", {});
    REQUIRE(cpu.is_ok());
    CHECK(cpu->kind == DeviceRequest::Kind::Cpu);
    CHECK_EQ(folio::device_request_text(*cpu), std::string("cpu"));
    auto cuda = folio::parse_device_request("cuda", {});
    REQUIRE(cuda.is_ok());
    CHECK(cuda->kind == DeviceRequest::Kind::Cuda);
    CHECK(cuda->gpus.empty());
    CHECK_EQ(folio::device_request_text(*cuda), std::string("cuda:0"));
    auto one = folio::parse_device_request("cuda:3", {});
    REQUIRE(one.is_ok());
    CHECK(one->gpus == std::vector<int>{3});
    CHECK_EQ(folio::device_request_text(*one), std::string("cuda:3"));
    auto split = folio::parse_device_request("cuda", {1, 0});
    REQUIRE(split.is_ok());
    CHECK(split->gpus == (std::vector<int>{1, 0}));
    CHECK_EQ(folio::device_request_text(*split), std::string("cuda:1,0"));
    auto agree = folio::parse_device_request("cuda:1", {1, 2});
    REQUIRE(agree.is_ok());
    CHECK(agree->gpus == (std::vector<int>{1, 2}));
    auto automatic = folio::parse_device_request("auto", {});
    REQUIRE(automatic.is_ok());
    CHECK(automatic->kind == DeviceRequest::Kind::Auto);
    CHECK_EQ(folio::device_request_text(*automatic), std::string("auto"));
}

FOLIO_TEST(device_request_rejects_bad_text)
{
    for (const char *bad : {"", "gpu", "CUDA", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", " cpu"}) {
        auto r = folio::parse_device_request(bad, {});
        CHECK(!r.is_ok());
        if (!r.is_ok())
            CHECK(r.status().message().find("unknown device") != std::string::npos);
    }
    CHECK(!folio::parse_device_request("cpu", {0}).is_ok());     // a GPU list with the CPU
    CHECK(!folio::parse_device_request("cuda", {0, 0}).is_ok()); // listed twice
    CHECK(!folio::parse_device_request("cuda", {-2}).is_ok());
    auto clash = folio::parse_device_request("cuda:1", {0, 1});
    REQUIRE(!clash.is_ok());
    CHECK(clash.status().message().find("disagree") != std::string::npos);
}

FOLIO_TEST(gpu_list_parses_and_rejects)
{
    auto empty = folio::parse_gpu_list("");
    REQUIRE(empty.is_ok());
    CHECK(empty->empty());
    auto two = folio::parse_gpu_list("0,1");
    REQUIRE(two.is_ok());
    CHECK(*two == (std::vector<int>{0, 1}));
    auto three = folio::parse_gpu_list("3,10,2");
    REQUIRE(three.is_ok());
    CHECK(*three == (std::vector<int>{3, 10, 2}));
    for (const char *bad : {",", "0,", ",1", "0;1", "a", "1 ,2", "-1", "99999"})
        CHECK(!folio::parse_gpu_list(bad).is_ok());
}

FOLIO_TEST(model_load_resolves_device_without_gpu)
{
    const std::string dir = std::string(FOLIO_TEST_DATA_DIR) + "/golden/bf16_s1";
    if (!folio::list_devices().cuda.empty()) {
        folio_test::skip("a CUDA device is present: the GPU tests cover loading on it");
        return;
    }
    folio::LoadOptions cpu;
    auto m = folio::Model::load(dir, cpu);
    REQUIRE(m.is_ok());
    CHECK_EQ((*m)->info().device, std::string("cpu"));

    folio::LoadOptions automatic;
    automatic.device = "auto";
    auto a = folio::Model::load(dir, automatic);
    REQUIRE(a.is_ok());
    CHECK_EQ((*a)->info().device, std::string("cpu"));
    CHECK((*a)->info().device_note.find("device auto: cpu, because") == 0);
    std::vector<float> logits;
    CHECK((*a)->create_session()->prefill({1, 2, 3}, folio::LogitsMode::Last, &logits).is_ok());
    CHECK(!logits.empty());

    folio::LoadOptions cuda;
    cuda.device = "cuda:0";
    auto c = folio::Model::load(dir, cuda);
    REQUIRE(!c.is_ok());
    // Either the build has no CUDA backend or no device answers: the message says which.
    const std::string msg = c.status().message();
    CHECK(msg.find("device cuda:0: ") == 0);
    CHECK(msg.find("FOLIO_CUDA=OFF") != std::string::npos
          || msg.find("no usable CUDA device") != std::string::npos);

    folio::LoadOptions bad;
    bad.device = "gpu";
    auto b = folio::Model::load(dir, bad);
    REQUIRE(!b.is_ok());
    CHECK(b.status().message().find("unknown device \"gpu\"") != std::string::npos);
}

FOLIO_TEST(device_request_text_round_trips)
{
    for (const char *text : {"cpu", "auto", "cuda:0", "cuda:2", "cuda:1,0", "auto:0,1"}) {
        auto r = folio::parse_device_request(text, {});
        REQUIRE(r.is_ok());
        CHECK_EQ(folio::device_request_text(*r), std::string(text));
    }
    CHECK(!folio::parse_device_request("cuda:0,0", {}).is_ok()); // listed twice
    CHECK(!folio::parse_device_request("cuda:0,1", {1, 0}).is_ok());
    CHECK(!folio::parse_device_request("auto:", {}).is_ok());
}
