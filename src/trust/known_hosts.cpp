#include "trust/known_hosts.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>

#include "crypto/fingerprint.hpp"
#include "trust/lines.hpp"
#include "trust/trust_error.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"

namespace cryptochat::trust {

namespace {

[[noreturn]] void malformed(const std::string& path, std::size_t line, std::string_view why) {
  throw TrustError(fmt::format("{}:{}: malformed known_hosts entry: {}", path, line, why));
}

[[noreturn]] void throw_io(std::string_view action, const std::string& path, int err) {
  throw IoError(fmt::format("cannot {} '{}': {}", action, path, errno_text(err)));
}

}  // namespace

std::string default_known_hosts_path() {
  return config_dir() + "/known_hosts";
}

std::string canonical_address(std::string_view address) {
  const std::string unchanged(address);
  if (address.size() > kMaxAddressBytes) {
    return unchanged;
  }
  std::string_view host;
  std::string_view port;
  const bool bracketed = address.starts_with('[');
  if (bracketed) {
    const auto close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return unchanged;
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return unchanged;
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return unchanged;
    }
  }
  if (host.empty() || port.empty() ||
      !std::ranges::all_of(port, [](char c) { return c >= '0' && c <= '9'; })) {
    return unchanged;
  }
  while (port.size() > 1 && port.front() == '0') {
    port.remove_prefix(1);
  }
  unsigned long number = 0;
  for (const char c : port) {
    number = number * 10 + static_cast<unsigned long>(c - '0');
    if (number > 65535) {
      return unchanged;
    }
  }
  if (number == 0) {
    return unchanged;
  }
  std::string name(host);
  std::ranges::transform(name, name.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (name.size() > 1 && name.back() == '.') {
    name.pop_back();
  }
  if (name.find('\0') != std::string::npos) {
    return unchanged;
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (bracketed) {
    in6_addr v6{};
    if (::inet_pton(AF_INET6, name.c_str(), &v6) != 1) {
      return unchanged;
    }
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      in_addr v4{};
      std::memcpy(&v4, &v6.s6_addr[12], sizeof v4);
      ::inet_ntop(AF_INET, &v4, text.data(), text.size());
      return fmt::format("{}:{}", text.data(), number);
    }
    ::inet_ntop(AF_INET6, &v6, text.data(), text.size());
    return fmt::format("[{}]:{}", text.data(), number);
  }
  in_addr v4{};
  if (::inet_aton(name.c_str(), &v4) != 0) {
    ::inet_ntop(AF_INET, &v4, text.data(), text.size());
    return fmt::format("{}:{}", text.data(), number);
  }
  return fmt::format("{}:{}", name, number);
}

bool is_storable_address(std::string_view address) {
  if (address.empty() || address.size() > kMaxAddressBytes || address.front() == '#') {
    return false;
  }
  return std::ranges::none_of(address,
                              [](char c) { return detail::is_blank(c) || detail::is_control(c); });
}

KnownHosts::KnownHosts(std::string path) : path_(std::move(path)) {}

KnownHosts parse_known_hosts(std::string_view text, const std::string& path) {
  if (text.size() > detail::kMaxTrustFileBytes) {
    throw TrustError(fmt::format("{}: larger than {} bytes; not a known_hosts file", path,
                                 detail::kMaxTrustFileBytes));
  }
  KnownHosts hosts(path);
  detail::LineReader reader(text);
  while (const auto line = reader.next()) {
    if (line->text.size() > detail::kMaxLineBytes) {
      malformed(path, line->number,
                fmt::format("the line is longer than {} bytes", detail::kMaxLineBytes));
    }
    std::string_view rest = detail::trim(line->text);
    if (detail::is_ignorable(rest)) {
      hosts.lines_.push_back({line->number, std::string(line->text), {}, {}, {}});
      continue;
    }
    const std::string_view address = detail::take_field(rest);
    const std::string_view fingerprint = detail::take_field(rest);
    if (!is_storable_address(address)) {
      malformed(
          path, line->number,
          fmt::format("the address has control characters or is over {} bytes", kMaxAddressBytes));
    }
    if (!crypto::looks_like_fingerprint(fingerprint)) {
      malformed(path, line->number,
                "expected ADDRESS SHA256:<43 base64 characters> (the fingerprint is not one)");
    }
    if (!rest.empty()) {
      malformed(path, line->number, "unexpected text after the fingerprint");
    }
    hosts.lines_.push_back({line->number, std::string(line->text), std::string(address),
                            std::string(fingerprint), canonical_address(address)});
  }
  return hosts;
}

namespace {

// Only a file that is not there means "nothing remembered yet" (the first connection creates
// it); any other failure, a folder that cannot be searched say, is reported by read_file.
bool is_missing(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

}  // namespace

KnownHosts KnownHosts::load(const std::string& path) {
  if (is_missing(path)) {
    return KnownHosts(path);
  }
  const FileContents file =
      read_file(path, detail::kMaxTrustFileBytes, "known_hosts file", FileRule::trusted);
  return parse_known_hosts(file.bytes, path);
}

std::vector<KnownHostEntry> KnownHosts::entries() const {
  std::vector<KnownHostEntry> out;
  for (const Line& line : lines_) {
    if (!line.address.empty()) {
      out.push_back({line.number, line.address, line.fingerprint});
    }
  }
  return out;
}

std::vector<KnownHostEntry> remove_known_host(const std::string& path, std::string_view address) {
  if (address.empty() || is_missing(path)) {
    return {};
  }
  const FileContents file = read_file(path, detail::kMaxTrustFileBytes, "known_hosts file");
  const std::string_view text = file.bytes;
  // A malformed file throws here, before anything is changed.
  const KnownHosts hosts = parse_known_hosts(text, path);
  const std::string key = canonical_address(address);
  std::vector<KnownHostEntry> removed;
  for (const KnownHostEntry& entry : hosts.entries()) {
    if (canonical_address(entry.address) == key) {
      removed.push_back(entry);
    }
  }
  if (removed.empty()) {
    return removed;
  }
  // The kept lines are copied as raw bytes, their line ends with them.
  std::string kept;
  kept.reserve(text.size());
  std::size_t number = 0;
  std::size_t next = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto newline = text.find('\n', start);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline + 1;
    ++number;
    if (next < removed.size() && removed[next].line == number) {
      ++next;
    } else {
      kept.append(text.substr(start, end - start));
    }
    start = end;
  }
  write_file_atomic(path, kept, 0600, true);
  return removed;
}

std::optional<std::string> KnownHosts::lookup(std::string_view address) const {
  // Comment lines have an empty address; an empty address is never stored, so none matches.
  if (address.empty()) {
    return std::nullopt;
  }
  const std::string key = canonical_address(address);
  const auto found = std::find_if(lines_.rbegin(), lines_.rend(),
                                  [&](const Line& line) { return line.key == key; });
  if (found == lines_.rend()) {
    return std::nullopt;
  }
  return found->fingerprint;
}

void KnownHosts::set(std::string address, std::string fingerprint) {
  // Refused here rather than written: a line that cannot be read back would make every later
  // load() fail.
  if (!is_storable_address(address)) {
    throw TrustError(fmt::format(
        "cannot remember the server in {}: the address has whitespace or control characters, "
        "starts with '#' or is over {} bytes",
        path_, kMaxAddressBytes));
  }
  if (!crypto::looks_like_fingerprint(fingerprint)) {
    throw TrustError(
        fmt::format("cannot remember the server in {}: not a SHA256: fingerprint", path_));
  }
  std::string key = canonical_address(address);
  Line entry{0, key + ' ' + fingerprint, key, std::move(fingerprint), key};
  const auto first = std::ranges::find(lines_, entry.key, &Line::key);
  if (first == lines_.end()) {
    lines_.push_back(std::move(entry));
    return;
  }
  const auto at = std::distance(lines_.begin(), first);
  std::erase_if(lines_, [&](const Line& line) { return line.key == entry.key; });
  lines_.insert(lines_.begin() + at, std::move(entry));
}

void KnownHosts::save() const {
  std::string text;
  for (const Line& line : lines_) {
    text += line.text;
    text += '\n';
  }
  make_private_dirs(parent_dir(path_));
  write_file_atomic(path_, text, 0600, true);
}

KnownHostsLock::KnownHostsLock(const std::string& path) {
  make_private_dirs(parent_dir(path));
  const std::string lock_path = path + ".lock";
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd_ < 0) {
    throw_io("open", lock_path, errno);
  }
  int rc = 0;
  do {
    rc = ::flock(fd_, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int error = errno;
    ::close(fd_);
    throw_io("lock", lock_path, error);
  }
}

KnownHostsLock::~KnownHostsLock() {
  ::close(fd_);  // releases the lock
}

}  // namespace cryptochat::trust
