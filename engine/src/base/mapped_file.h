// Read-only memory mapping of a file (weights are mapped, never copied whole into RAM), plus a
// small helper that reads a whole text file. Both report failures as a Status naming the path and
// the system error.
#pragma once

#include "folio/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace folio {

class MappedFile
{
public:
    // Maps `path` read-only. An empty file maps to size 0 with a null data pointer.
    static Result<std::shared_ptr<const MappedFile>> open(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const std::uint8_t *data() const { return m_data; }
    std::uint64_t size() const { return m_size; }
    const std::string &path() const { return m_path; }

private:
    MappedFile() = default;
    const std::uint8_t *m_data = nullptr;
    std::uint64_t m_size = 0;
    std::string m_path;
};

// Reads a whole file into a string (for JSON files: config, index, tokenizer).
Result<std::string> read_text_file(const std::string &path);

} // namespace folio
