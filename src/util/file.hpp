// Small, careful file helpers: bounded reads (sizes are checked before anything is allocated),
// atomic writes (temporary file + rename, or link when an existing file must not be replaced),
// whole writes to a descriptor and private folders.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cryptochat {

struct FileContents {
  std::string bytes;
  mode_t mode = 0;  // permission bits of the file that was read
  uid_t owner = 0;  // its owner
};

// What a file must satisfy to be believed, besides being a regular file (ssh's StrictModes).
enum class FileRule {
  any,      // public data (a key's .pub is 0644 and may belong to anyone)
  trusted,  // decides whom to trust (known_hosts, authorized_keys, the config file): owned by
            // the user or root, writable by nobody else
  secret,   // holds a secret (a private key, a passphrase): owned by the user or root, neither
            // readable nor writable by anybody else
};

// Why a file of this mode and owner breaks the rule, in one line that names the file, the rule
// and the fix ("permissions 0664 for 'F' are too open: ...; chmod go-w 'F'"); nullopt when it
// does not. The one place these rules are written.
std::optional<std::string> file_rule_violation(const std::string& path, mode_t mode, uid_t owner,
                                               FileRule rule, std::string_view what);

// Reads a whole regular file of at most max_bytes that keeps rule. `what` names the file in
// error messages ("key file", "passphrase file"). The file is opened with O_NONBLOCK, so a FIFO
// (or a device) in its place is refused at once instead of blocking the open, and is checked on
// the opened descriptor before a byte is read. IoError on any failure.
FileContents read_file(const std::string& path, std::size_t max_bytes, std::string_view what,
                       FileRule rule = FileRule::any);

// The same checks as read_file, without reading: for a file another library opens by name (the
// configuration file, which CLI11 reads), so that it never opens a FIFO and blocks.
void check_file(const std::string& path, std::size_t max_bytes, std::string_view what,
                FileRule rule);

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
