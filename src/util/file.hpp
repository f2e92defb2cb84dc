// Small, careful file helpers: bounded reads (sizes are checked before anything is allocated),
// atomic writes (temporary file + rename, or link when an existing file must not be replaced),
// whole writes to a descriptor and private folders.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cryptochat {

struct FileContents {
  std::string bytes;
  mode_t mode = 0;  // permission bits of the file that was read
};

// Reads a whole regular file of at most max_bytes. `what` names the file in error messages
// ("key file", "passphrase file").
FileContents read_file(const std::string& path, std::size_t max_bytes, std::string_view what);

// A file written in full, and synced, under a temporary name in its final folder; commit() puts
// it in place in one step. Staging several files before committing any keeps a failure in one
// (a full disk, say) from leaving the others half replaced. Uncommitted, it leaves no trace.
class StagedFile {
 public:
  StagedFile(std::string path, std::string_view data, mode_t mode);
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  StagedFile(StagedFile&&) = delete;
  StagedFile& operator=(StagedFile&&) = delete;
  ~StagedFile();

  // With replace=false an existing file at the path is never touched and an IoError says so.
  void commit(bool replace);

 private:
  std::string path_;
  std::string tmp_;
  bool staged_ = false;
};

// Writes all of data to fd (a blocking one), again after a short write or EINTR; on any other
// error throws IoError "cannot write to <what>: <reason>" (what: "standard output", "the
// terminal", "'<path>'").
void write_all(int fd, std::span<const std::uint8_t> data, std::string_view what);
void write_all(int fd, std::string_view data, std::string_view what);

// Writes data to path atomically with the given permission bits (a StagedFile committed at once).
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool replace);

// Creates path and any missing parents; the folders it creates get mode 0700.
void make_private_dirs(const std::string& path);

bool path_exists(const std::string& path);

// The folder part of a path ("." when there is none).
std::string parent_dir(const std::string& path);

}  // namespace cryptochat
