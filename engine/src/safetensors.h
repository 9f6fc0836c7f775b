// Checkpoint: the safetensors files of a model directory, memory-mapped and never copied. A directory
// holds either one `model.safetensors` (the golden cases) or `model.safetensors.index.json` plus the
// shards it names (the release: 46 `model-000NN-of-00046.safetensors`). Every header is validated in
// full before any tensor is handed out (length field inside the file, well-formed JSON, known dtypes,
// non-negative shapes, byte length == numel × dtype size, offsets inside the data area, no overlap),
// so a TensorView's [data, data + nbytes) is always readable.
//
//   auto ckpt = folio::Checkpoint::open("/models/v4-flash");
//   if (!ckpt) return ckpt.status();
//   const folio::TensorView *w = (*ckpt)->find("layers.0.attn.wq_a.weight");
//
// A Checkpoint is immutable after open and may be shared between threads; the TensorView pointers
// stay valid as long as the Checkpoint lives.
#pragma once

#include "folio/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace folio {

class MappedFile;

// Safetensors dtypes. F8_E4M3 = float8_e4m3fn (FP8 weights), F8_E8M0 = float8_e8m0fnu (scales:
// byte e -> 2^(e-127)), I8 also carries packed FP4 E2M1 pairs.
enum class DType { BF16, F16, F32, F64, I64, I32, I16, I8, U8, BOOL, F8_E4M3, F8_E8M0 };

std::size_t dtype_size(DType);
// The safetensors spelling: "BF16", "F8_E4M3", ...
const char *dtype_name(DType);
// Inverse of dtype_name; nullopt for names this reader does not know.
std::optional<DType> dtype_from_name(std::string_view name);

struct TensorView
{
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;    // row-major, outermost first
    const std::uint8_t *data = nullptr; // inside a mapping owned by the Checkpoint
    std::uint64_t nbytes = 0;           // == numel() * dtype_size(dtype)
    std::int64_t numel() const;
};

// Parses and validates one safetensors file image (`size` bytes at `data`): returns its tensors
// with `data` pointing into the image, in data-offset order. Errors are prefixed with `what` (the
// file name). Exposed for the fuzz test; Checkpoint::open uses it for every shard.
Result<std::vector<TensorView>> parse_safetensors(const std::uint8_t *data, std::uint64_t size,
                                                  const std::string &what);

class Checkpoint
{
public:
    // Opens a model directory (single file or index + shards). config.json is read if present
    // (it enters the fingerprint) but not interpreted here; tokenizer.json is not needed.
    static Result<std::shared_ptr<const Checkpoint>> open(const std::string &model_dir);
    // Opens one safetensors file on its own (golden.safetensors, `folio-cli logits` output).
    static Result<std::shared_ptr<const Checkpoint>> open_file(const std::string &path);

    ~Checkpoint();
    Checkpoint(const Checkpoint &) = delete;
    Checkpoint &operator=(const Checkpoint &) = delete;

    const TensorView *find(std::string_view name) const;                 // nullptr if absent
    const std::vector<TensorView> &tensors() const { return m_tensors; } // sorted by name
    // Hash (hex) of config.json + tensor directory (names, dtypes, shapes) + shard sizes: the model
    // part of the snapshot key (architecture.md). Equal for byte-identical layouts, different as
    // soon as any name, dtype, shape, shard size or config byte differs.
    std::string fingerprint() const { return m_fingerprint; }
    const std::string &directory() const { return m_dir; }
    // config.json's text ("" when the directory has none).
    const std::string &config_text() const { return m_config_text; }
    // Total bytes of the mapped shard files.
    std::uint64_t total_file_bytes() const;

private:
    Checkpoint() = default;
    static Result<std::shared_ptr<const Checkpoint>> open_shards(const std::string &dir,
                                                                 std::vector<std::string> shards,
                                                                 std::string config_text,
                                                                 const void *weight_map);

    std::string m_dir;
    std::string m_config_text;
    std::vector<std::shared_ptr<const MappedFile>> m_files;
    std::vector<TensorView> m_tensors;
    std::unordered_map<std::string_view, std::size_t> m_index; // name -> m_tensors position
    std::string m_fingerprint;
};

} // namespace folio
