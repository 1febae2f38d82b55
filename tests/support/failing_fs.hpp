// A RocksDB file system over the real disk that fails like one: writes or
// reads that return I/O errors on demand, and power loss, which keeps only
// what was synced. Injected through RocksDB's public FileSystem API (the
// test-only FaultInjectionTestFS is not part of Debian's librocksdb-dev).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace irsp::test {

/// Forwards to the default file system, and on demand:
/// - `fail`: every append and sync of a writable file returns an I/O error
///   (EIO); `no_space` likewise with "no space left on device" (ENOSPC), as
///   RocksDB's own POSIX file system reports a full disk;
/// - `fail_reads`: every read of a table (SST) file returns an I/O error;
/// - hold_next_read(): the next read of a table file waits until
///   release_read(), so a test can stop an operation in the middle;
/// - power loss. It records, for each file it creates, how much of it was
///   last synced (Sync/Fsync; Close and RangeSync do not count) and whether
///   its directory was fsynced since it was created or renamed. lose_power()
///   makes every later change fail and do nothing, as if the machine had
///   stopped; once the database is closed, drop_unsynced() leaves on disk
///   only what survives a power cut: each file cut to its synced size, and
///   files whose directory entry was never synced removed. Files that
///   existed before this file system saw them count as synced.
class failing_fs : public rocksdb::FileSystemWrapper {
public:
  failing_fs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  const char* Name() const override { return "irsp_failing_fs"; }

  std::atomic<bool> fail{false};
  std::atomic<bool> no_space{false};
  std::atomic<bool> fail_reads{false};

  /// Makes the next read of a table file wait for release_read().
  void hold_next_read() {
    std::lock_guard<std::mutex> guard{gate_mutex_};
    gate_ = gate::armed;
  }

  /// Whether a read is waiting, after hold_next_read(); waits up to `limit`.
  bool read_held(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> guard{gate_mutex_};
    return gate_changed_.wait_for(guard, limit, [this] { return gate_ == gate::holding; });
  }

  /// Lets the held read go on.
  void release_read() {
    std::lock_guard<std::mutex> guard{gate_mutex_};
    gate_ = gate::open;
    gate_changed_.notify_all();
  }

  /// The power goes: from now on nothing reaches the disk.
  void lose_power() { off_ = true; }

  /// Makes the disk what a power cut would have left of it (call after the
  /// database that used this file system is closed). Returns how many bytes
  /// were cut or removed.
  std::uint64_t drop_unsynced() {
    std::lock_guard<std::mutex> guard{mutex_};
    std::uint64_t dropped = 0;
    for (const auto& [path, f] : files_) {
      std::error_code ec;
      auto size = std::filesystem::file_size(path, ec);
      if (ec)
        continue;
      if (!f.entry_synced) {
        dropped += size;
        std::filesystem::remove(path, ec);
      } else if (size > f.synced) {
        dropped += size - f.synced;
        std::filesystem::resize_file(path, f.synced, ec);
      }
    }
    files_.clear();
    return dropped;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (off_)
      return off();
    auto s = target()->NewWritableFile(f, o, r, dbg);
    if (s.ok()) {
      auto path = normal(f);
      track(path, 0, false);
      *r = std::make_unique<file>(std::move(*r), *this, path);
    }
    return s;
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    if (off_)
      return off();
    auto path = normal(f);
    std::error_code ec;
    auto existing = std::filesystem::file_size(path, ec);
    auto s = target()->ReopenWritableFile(f, o, r, dbg);
    if (s.ok()) {
      std::lock_guard<std::mutex> guard{mutex_};
      if (files_.count(path) == 0)
        files_[path] = tracked{ec ? 0 : existing, ec ? 0 : existing, true};
      *r = std::make_unique<file>(std::move(*r), *this, path);
    }
    return s;
  }

  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    if (off_)
      return off();
    auto s = target()->ReuseWritableFile(f, old, o, r, dbg);
    if (s.ok()) {
      auto path = normal(f);
      {
        std::lock_guard<std::mutex> guard{mutex_};
        files_.erase(normal(old));
      }
      track(path, 0, false);
      *r = std::make_unique<file>(std::move(*r), *this, path);
    }
    return s;
  }

  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewRandomAccessFile(f, o, r, dbg);
    if (s.ok())
      *r = std::make_unique<readable>(std::move(*r), *this);
    return s;
  }

  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewDirectory(name, o, r, dbg);
    if (s.ok())
      *r = std::make_unique<directory>(std::move(*r), *this, normal(name));
    return s;
  }

  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override {
    if (off_)
      return off();
    auto src = normal(from);
    auto dst = normal(to);
    std::error_code ec;
    auto size = std::filesystem::file_size(src, ec);
    auto s = target()->RenameFile(from, to, o, dbg);
    if (s.ok()) {
      // The new name is durable once its directory is synced; until then a
      // power cut loses it (a conservative model: ext4 might keep the old one).
      std::lock_guard<std::mutex> guard{mutex_};
      auto i = files_.find(src);
      tracked t = i != files_.end() ? i->second : tracked{size, size, true};
      if (i != files_.end())
        files_.erase(i);
      t.entry_synced = false;
      files_[dst] = t;
    }
    return s;
  }

  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override {
    if (off_)
      return off();
    auto s = target()->DeleteFile(f, o, dbg);
    if (s.ok()) {
      std::lock_guard<std::mutex> guard{mutex_};
      files_.erase(normal(f));
    }
    return s;
  }

  rocksdb::IOStatus Truncate(const std::string& f, size_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
    if (off_)
      return off();
    auto s = target()->Truncate(f, size, o, dbg);
    if (s.ok())
      truncated(normal(f), size);
    return s;
  }

private:
  struct tracked {
    std::uint64_t size = 0;    // bytes written
    std::uint64_t synced = 0;  // bytes that a sync made durable
    bool entry_synced = false; // its directory was synced since it got its name
  };

  static rocksdb::IOStatus injected() { return rocksdb::IOStatus::IOError("injected"); }
  static rocksdb::IOStatus off() { return rocksdb::IOStatus::IOError("power lost"); }

  static std::string normal(const std::string& path) {
    return std::filesystem::path(path).lexically_normal().string();
  }

  void track(const std::string& path, std::uint64_t size, bool entry_synced) {
    std::lock_guard<std::mutex> guard{mutex_};
    files_[path] = tracked{size, size, entry_synced};
  }

  void appended(const std::string& path, std::uint64_t end) {
    std::lock_guard<std::mutex> guard{mutex_};
    auto& t = files_[path];
    t.size = std::max(t.size, end);
  }

  void grew(const std::string& path, std::uint64_t n) {
    std::lock_guard<std::mutex> guard{mutex_};
    files_[path].size += n;
  }

  void synced(const std::string& path) {
    std::lock_guard<std::mutex> guard{mutex_};
    auto& t = files_[path];
    t.synced = t.size;
  }

  void truncated(const std::string& path, std::uint64_t size) {
    std::lock_guard<std::mutex> guard{mutex_};
    auto i = files_.find(path);
    if (i == files_.end())
      return;
    i->second.size = size;
    i->second.synced = std::min(i->second.synced, size);
  }

  void dir_synced(const std::string& dir) {
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto& [path, t] : files_)
      if (std::filesystem::path(path).parent_path() == dir)
        t.entry_synced = true;
  }

  class file : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    file(std::unique_ptr<rocksdb::FSWritableFile>&& f, failing_fs& fs, std::string path)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), path_(std::move(path)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* g) override {
      if (auto s = check(); !s.ok())
        return s;
      auto s = target()->Append(d, o, g);
      if (s.ok())
        fs_.grew(path_, d.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* g) override {
      if (auto s = check(); !s.ok())
        return s;
      auto s = target()->Append(d, o, v, g);
      if (s.ok())
        fs_.grew(path_, d.size());
      return s;
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t offset,
                                       const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* g) override {
      if (auto s = check(); !s.ok())
        return s;
      auto s = target()->PositionedAppend(d, offset, o, g);
      if (s.ok())
        fs_.appended(path_, offset + d.size());
      return s;
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t offset,
                                       const rocksdb::IOOptions& o,
                                       const rocksdb::DataVerificationInfo& v,
                                       rocksdb::IODebugContext* g) override {
      if (auto s = check(); !s.ok())
        return s;
      auto s = target()->PositionedAppend(d, offset, o, v, g);
      if (s.ok())
        fs_.appended(path_, offset + d.size());
      return s;
    }
    rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* g) override {
      if (fs_.off_)
        return failing_fs::off();
      auto s = target()->Truncate(size, o, g);
      if (s.ok())
        fs_.truncated(path_, size);
      return s;
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
      if (auto s = check(); !s.ok())
        return s;
      auto s = target()->Sync(o, g);
      if (s.ok())
        fs_.synced(path_);
      return s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
      if (auto s = check(); !s.ok())
        return s;
      auto s = target()->Fsync(o, g);
      if (s.ok())
        fs_.synced(path_);
      return s;
    }
    rocksdb::IOStatus RangeSync(uint64_t, uint64_t, const rocksdb::IOOptions&,
                                rocksdb::IODebugContext*) override {
      // Starts write-back of a range, no durability promise: counted as nothing.
      return fs_.off_ ? failing_fs::off() : rocksdb::IOStatus::OK();
    }

  private:
    rocksdb::IOStatus check() const {
      if (fs_.off_)
        return failing_fs::off();
      if (fs_.no_space)
        return rocksdb::IOStatus::NoSpace("injected");
      return fs_.fail ? failing_fs::injected() : rocksdb::IOStatus::OK();
    }

    failing_fs& fs_;
    std::string path_;
  };

  enum class gate { open, armed, holding };

  // A read that finds the gate armed holds it until release_read().
  void pass_gate() {
    std::unique_lock<std::mutex> guard{gate_mutex_};
    if (gate_ != gate::armed)
      return;
    gate_ = gate::holding;
    gate_changed_.notify_all();
    gate_changed_.wait(guard, [this] { return gate_ != gate::holding; });
  }

  class readable : public rocksdb::FSRandomAccessFileOwnerWrapper {
  public:
    readable(std::unique_ptr<rocksdb::FSRandomAccessFile>&& f, failing_fs& fs)
      : FSRandomAccessFileOwnerWrapper(std::move(f)), fs_(fs), fail_(fs.fail_reads) {}

    rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& o,
                           rocksdb::Slice* result, char* scratch,
                           rocksdb::IODebugContext* g) const override {
      fs_.pass_gate();
      return fail_ ? failing_fs::injected() : target()->Read(offset, n, o, result, scratch, g);
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t n,
                                const rocksdb::IOOptions& o,
                                rocksdb::IODebugContext* g) override {
      if (!fail_)
        return target()->MultiRead(reqs, n, o, g);
      for (size_t i = 0; i < n; ++i)
        reqs[i].status = failing_fs::injected();
      return rocksdb::IOStatus::OK();
    }
    rocksdb::IOStatus ReadAsync(rocksdb::FSReadRequest& req, const rocksdb::IOOptions& o,
                                std::function<void(const rocksdb::FSReadRequest&, void*)> cb,
                                void* arg, void** handle, rocksdb::IOHandleDeleter* del,
                                rocksdb::IODebugContext* g) override {
      if (fail_)
        return failing_fs::injected();
      return target()->ReadAsync(req, o, cb, arg, handle, del, g);
    }

  private:
    failing_fs& fs_;
    std::atomic<bool>& fail_;
  };

  class directory : public rocksdb::FSDirectoryWrapper {
  public:
    directory(std::unique_ptr<rocksdb::FSDirectory>&& d, failing_fs& fs, std::string path)
      : FSDirectoryWrapper(std::move(d)), fs_(fs), path_(std::move(path)) {}

    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
      if (fs_.off_)
        return failing_fs::off();
      auto s = FSDirectoryWrapper::Fsync(o, g);
      if (s.ok())
        fs_.dir_synced(path_);
      return s;
    }
    rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g,
                                          const rocksdb::DirFsyncOptions& d) override {
      if (fs_.off_)
        return failing_fs::off();
      auto s = FSDirectoryWrapper::FsyncWithDirOptions(o, g, d);
      if (s.ok())
        fs_.dir_synced(path_);
      return s;
    }

  private:
    failing_fs& fs_;
    std::string path_;
  };

  std::atomic<bool> off_{false};
  std::mutex gate_mutex_;
  std::condition_variable gate_changed_;
  gate gate_ = gate::open;
  std::mutex mutex_;
  std::map<std::string, tracked> files_;
};

/// An Env over a failing_fs.
struct failing_env {
  std::shared_ptr<failing_fs> fs = std::make_shared<failing_fs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
};

} // namespace irsp::test
