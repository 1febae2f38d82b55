// A directory that exists for one test and is removed after it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace irsp::test {

/// Creates a fresh directory under $TMPDIR; removes it with everything in it.
class temp_dir {
public:
  temp_dir() {
    auto base = std::filesystem::temp_directory_path() / "irsp-test-XXXXXX";
    std::string pattern = base.string();
    if (::mkdtemp(pattern.data()) == nullptr)
      std::abort();
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory itself.
  const std::filesystem::path& path() const { return path_; }
  /// A path inside it.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

} // namespace irsp::test
