// A RocksDB file system whose writes fail on demand: real storage faults,
// injected through RocksDB's public FileSystem API.
#pragma once

#include <atomic>
#include <memory>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace irsp::test {

/// Forwards to the default file system until `fail` is set; from then on
/// every append and sync of a writable file returns an I/O error.
class failing_fs : public rocksdb::FileSystemWrapper {
public:
  failing_fs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  const char* Name() const override { return "irsp_failing_fs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(f, o, r, dbg);
    if (s.ok())
      *r = std::make_unique<file>(std::move(*r), fail);
    return s;
  }

  std::atomic<bool> fail{false};

private:
  class file : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    file(std::unique_ptr<rocksdb::FSWritableFile>&& f, std::atomic<bool>& fail)
      : FSWritableFileOwnerWrapper(std::move(f)), fail_(fail) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* g) override {
      return fail_ ? rocksdb::IOStatus::IOError("injected") : target()->Append(d, o, g);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
      return fail_ ? rocksdb::IOStatus::IOError("injected") : target()->Sync(o, g);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
      return fail_ ? rocksdb::IOStatus::IOError("injected") : target()->Fsync(o, g);
    }

  private:
    std::atomic<bool>& fail_;
  };
};

/// An Env over a failing_fs.
struct failing_env {
  std::shared_ptr<failing_fs> fs = std::make_shared<failing_fs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
};

} // namespace irsp::test
