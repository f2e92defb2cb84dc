#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace cryptochat {

namespace {

[[noreturn]] void throw_io(std::string_view action, const std::string& path, int err) {
  throw IoError(fmt::format("cannot {} '{}': {}", action, path, errno_text(err)));
}

void sync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd) {
    ::fsync(fd.get());  // best effort: the rename itself already happened
  }
}

}  // namespace

void write_all(int fd, std::span<const std::uint8_t> data, std::string_view what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(fmt::format("cannot write to {}: {}", what, errno_text(errno)));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
}

void write_all(int fd, std::string_view data, std::string_view what) {
  write_all(fd, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, what);
}

std::optional<std::string> file_rule_violation(const std::string& path, mode_t mode, uid_t owner,
                                               FileRule rule, std::string_view what) {
  if (rule == FileRule::any) {
    return std::nullopt;
  }
  if (owner != ::geteuid() && owner != 0) {
    return fmt::format(
        "bad ownership of {} '{}': it belongs to user {}, not to you or root, so whoever that is "
        "can change it (chown {} '{}')",
        what, path, owner, ::geteuid(), path);
  }
  if (rule == FileRule::secret && (mode & 077) != 0) {
    return fmt::format(
        "permissions {:04o} for '{}' are too open; a {} must be readable by its owner only "
        "(chmod go-rwx '{}')",
        mode & 07777, path, what, path);
  }
  if (rule == FileRule::trusted && (mode & 022) != 0) {
    return fmt::format(
        "permissions {:04o} for '{}' are too open; a {} must be writable by its owner only, as "
        "whoever can write it decides whom you trust (chmod go-w '{}')",
        mode & 07777, path, what, path);
  }
  return std::nullopt;
}

namespace {

// Opens path without blocking (a FIFO opened for reading with no writer would wait forever)
// and checks the opened file: regular, at most max_bytes, keeping rule.
UniqueFd open_checked(const std::string& path, std::size_t max_bytes, std::string_view what,
                      FileRule rule, struct stat& st) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    throw_io(fmt::format("read {}", what), path, errno);
  }
  if (::fstat(fd.get(), &st) != 0) {
    throw_io(fmt::format("read {}", what), path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw IoError(fmt::format(
        "cannot read {} '{}': not a regular file (a FIFO, device or folder is never read)", what,
        path));
  }
  if (auto problem = file_rule_violation(path, st.st_mode, st.st_uid, rule, what)) {
    throw IoError(*problem);
  }
  if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) > max_bytes) {
    throw IoError(fmt::format("cannot read {} '{}': larger than {} bytes", what, path, max_bytes));
  }
  return fd;
}

}  // namespace

void check_file(const std::string& path, std::size_t max_bytes, std::string_view what,
                FileRule rule) {
  struct stat st {};
  open_checked(path, max_bytes, what, rule, st);
}

FileContents read_file(const std::string& path, std::size_t max_bytes, std::string_view what,
                       FileRule rule) {
  struct stat st {};
  const UniqueFd fd = open_checked(path, max_bytes, what, rule, st);
  FileContents out;
  out.mode = st.st_mode & 07777;
  out.owner = st.st_uid;
  // One allocation of the checked size plus one byte, so growth past it is detected without
  // ever reallocating (secrets are not left behind in freed buffers).
  out.bytes.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t used = 0;
  while (true) {
    const ssize_t n = ::read(fd.get(), out.bytes.data() + used, out.bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_io(fmt::format("read {}", what), path, errno);
    }
    if (n == 0) {
      break;
    }
    used += static_cast<std::size_t>(n);
    if (used == out.bytes.size()) {
      throw IoError(fmt::format("cannot read {} '{}': it changed while being read", what, path));
    }
  }
  out.bytes.resize(used);
  return out;
}

StagedFile::StagedFile(std::string path, std::string_view data, mode_t mode)
    : path_(std::move(path)), tmp_(path_ + ".tmp.XXXXXX") {
  UniqueFd fd(::mkostemp(tmp_.data(), O_CLOEXEC));
  if (!fd) {
    throw_io("create a file in", parent_dir(path_), errno);
  }
  staged_ = true;  // from here on the destructor removes the temporary file
  if (::fchmod(fd.get(), mode) != 0) {
    throw_io("set permissions on", tmp_, errno);
  }
  write_all(fd.get(), data, fmt::format("'{}'", tmp_));
  if (::fsync(fd.get()) != 0) {
    throw_io("write", tmp_, errno);
  }
}

StagedFile::~StagedFile() {
  if (staged_) {
    ::unlink(tmp_.c_str());
  }
}

void StagedFile::commit(bool replace) {
  if (replace) {
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      throw_io("write", path_, errno);
    }
    staged_ = false;
  } else {
    // link() fails with EEXIST instead of replacing: no window where an existing file is lost.
    // The temporary name is removed by the destructor.
    if (::link(tmp_.c_str(), path_.c_str()) != 0) {
      if (errno == EEXIST) {
        throw IoError(fmt::format("'{}' already exists (use --force to overwrite it)", path_));
      }
      throw_io("write", path_, errno);
    }
  }
  sync_dir(parent_dir(path_));
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool replace) {
  StagedFile file(path, data, mode);
  file.commit(replace);
}

void make_private_dirs(const std::string& path) {
  if (path.empty() || path_exists(path)) {
    return;
  }
  const std::string parent = parent_dir(path);
  if (parent != path) {
    make_private_dirs(parent);
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    throw_io("create folder", path, errno);
  }
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

}  // namespace cryptochat
