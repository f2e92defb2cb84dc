#include "trust/known_hosts.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <botan/base64.h>
#include <botan/mac.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "crypto/fingerprint.hpp"
#include "crypto/random.hpp"
#include "trust/lines.hpp"
#include "trust/trust_error.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"

namespace cryptochat::trust {

namespace {

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
  if (address.empty() || address.size() > kMaxAddressBytes || address.front() == '#' ||
      address.front() == '|') {
    return false;
  }
  return std::ranges::none_of(address,
                              [](char c) { return detail::is_blank(c) || detail::is_control(c); });
}

namespace {

constexpr std::string_view kHashMagic = "|1|";

std::vector<std::uint8_t> hmac_sha1(const std::vector<std::uint8_t>& salt, std::string_view text) {
  const auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-1)");
  mac->set_key(salt.data(), salt.size());
  mac->update(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  const auto out = mac->final();
  return {out.begin(), out.end()};
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  return Botan::base64_encode(bytes.data(), bytes.size());
}

// The bytes of text as standard base64 with padding, exactly as base64() writes them (so each
// hashed address has one spelling); nothing when it is not that.
std::optional<std::vector<std::uint8_t>> strict_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) {
    return std::nullopt;
  }
  try {
    const auto bytes = Botan::base64_decode(text.data(), text.size(), false);
    std::vector<std::uint8_t> out(bytes.begin(), bytes.end());
    if (base64(out) != text) {
      return std::nullopt;
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Reads "|1|SALT|HASH" into salt and hash (kHashedAddressBytes each); false when it is not that.
bool parse_hashed(std::string_view field, std::vector<std::uint8_t>& salt,
                  std::vector<std::uint8_t>& hash) {
  if (!field.starts_with(kHashMagic)) {
    return false;
  }
  field.remove_prefix(kHashMagic.size());
  const auto bar = field.find('|');
  if (bar == std::string_view::npos) {
    return false;
  }
  auto s = strict_base64(field.substr(0, bar));
  auto h = strict_base64(field.substr(bar + 1));
  if (!s || !h || s->size() != kHashedAddressBytes || h->size() != kHashedAddressBytes) {
    return false;
  }
  salt = std::move(*s);
  hash = std::move(*h);
  return true;
}

std::vector<std::uint8_t> fresh_salt() {
  std::vector<std::uint8_t> salt(kHashedAddressBytes);
  crypto::system_rng().randomize(salt.data(), salt.size());
  return salt;
}

}  // namespace

std::string hashed_address(std::string_view address, const std::vector<std::uint8_t>& salt) {
  if (salt.size() != kHashedAddressBytes) {
    throw std::invalid_argument("hashed_address: the salt must be 20 bytes");
  }
  return fmt::format("{}{}|{}", kHashMagic, base64(salt),
                     base64(hmac_sha1(salt, canonical_address(address))));
}

std::string hashed_address(std::string_view address) {
  return hashed_address(address, fresh_salt());
}

bool KnownHosts::Line::names(const std::string& canonical) const {
  if (!salt.empty()) {
    return hmac_sha1(salt, canonical) == hash;
  }
  return !key.empty() && key == canonical;
}

KnownHostEntry KnownHosts::Line::entry() const {
  return {number, address, fingerprint, !salt.empty(), malformed};
}

KnownHosts::KnownHosts(std::string path) : path_(std::move(path)) {}

KnownHosts parse_known_hosts(std::string_view text, const std::string& path) {
  if (text.size() > detail::kMaxTrustFileBytes) {
    throw TrustError(fmt::format("{}: larger than {} bytes; not a known_hosts file", path,
                                 detail::kMaxTrustFileBytes));
  }
  KnownHosts hosts(path);
  detail::LineReader reader(text);
  while (const auto read = reader.next()) {
    std::string_view rest = detail::trim(read->text);
    KnownHosts::Line line;
    line.number = read->number;
    line.text = std::string(read->text);
    if (detail::is_ignorable(rest) && read->text.size() <= detail::kMaxLineBytes) {
      hosts.lines_.push_back(std::move(line));
      continue;
    }
    const std::string_view address = detail::take_field(rest);
    const std::string_view fingerprint = detail::take_field(rest);
    line.address = std::string(address);
    // What the first field names is worked out even when the line is bad otherwise: a line
    // for the server being checked that cannot be read must not pass as no line at all.
    std::string why;
    if (address.starts_with('|')) {
      if (!parse_hashed(address, line.salt, line.hash)) {
        why = "the hashed address is not |1|SALT|HASH with a 20-byte salt and hash in base64";
      }
    } else if (!is_storable_address(address)) {
      why = fmt::format("the address has control characters or is over {} bytes", kMaxAddressBytes);
    } else {
      line.key = canonical_address(address);
    }
    if (read->text.size() > detail::kMaxLineBytes) {
      why = fmt::format("the line is longer than {} bytes", detail::kMaxLineBytes);
    } else if (why.empty() && !crypto::looks_like_fingerprint(fingerprint)) {
      why = "expected ADDRESS SHA256:<43 base64 characters>; the fingerprint is not one";
    } else if (why.empty() && !rest.empty()) {
      why = "unexpected text after the fingerprint";
    }
    if (why.empty()) {
      line.fingerprint = std::string(fingerprint);
    } else {
      line.malformed = std::move(why);
    }
    hosts.lines_.push_back(std::move(line));
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

constexpr std::string_view kWhat = "known_hosts file";

// Replaces the file at path with text (0600, atomically), unless the file there now is one
// read_file would refuse (FileRule::trusted): whoever else can write it decides whom we trust,
// and a file of theirs is not ours to replace.
void replace_known_hosts(const std::string& path, std::string_view text) {
  if (!is_missing(path)) {
    check_file(path, detail::kMaxTrustFileBytes, kWhat, FileRule::trusted);
  }
  write_file_atomic(path, text, 0600, true);
}

}  // namespace

KnownHosts KnownHosts::load(const std::string& path) {
  if (is_missing(path)) {
    return KnownHosts(path);
  }
  const FileContents file = read_file(path, detail::kMaxTrustFileBytes, kWhat, FileRule::trusted);
  return parse_known_hosts(file.bytes, path);
}

std::vector<KnownHostEntry> KnownHosts::entries() const {
  std::vector<KnownHostEntry> out;
  for (const Line& line : lines_) {
    if (line.usable()) {
      out.push_back(line.entry());
    }
  }
  return out;
}

std::vector<KnownHostEntry> KnownHosts::entries_for(std::string_view address) const {
  std::vector<KnownHostEntry> out;
  if (address.empty()) {
    return out;
  }
  const std::string key = canonical_address(address);
  for (const Line& line : lines_) {
    if (line.names(key)) {
      out.push_back(line.entry());
    }
  }
  return out;
}

std::vector<KnownHostEntry> KnownHosts::malformed() const {
  std::vector<KnownHostEntry> out;
  for (const Line& line : lines_) {
    if (!line.malformed.empty()) {
      out.push_back(line.entry());
    }
  }
  return out;
}

std::vector<std::string> KnownHosts::malformed_warnings() const {
  std::vector<std::string> out;
  for (const Line& line : lines_) {
    if (!line.malformed.empty()) {
      out.push_back(fmt::format("{}:{}: malformed known_hosts entry ({}), skipped", path_,
                                line.number, line.malformed));
    }
  }
  return out;
}

std::optional<KnownHostEntry> KnownHosts::malformed_entry_for(std::string_view address) const {
  if (address.empty()) {
    return std::nullopt;
  }
  const std::string key = canonical_address(address);
  for (const Line& line : lines_) {
    if (!line.malformed.empty() && line.names(key)) {
      return line.entry();
    }
  }
  return std::nullopt;
}

std::vector<KnownHostEntry> remove_known_host(const std::string& path, std::string_view address) {
  if (address.empty() || is_missing(path)) {
    return {};
  }
  const KnownHostsLock lock(path);
  if (is_missing(path)) {
    return {};
  }
  const FileContents file = read_file(path, detail::kMaxTrustFileBytes, kWhat, FileRule::trusted);
  const std::string_view text = file.bytes;
  const KnownHosts hosts = parse_known_hosts(text, path);
  std::vector<KnownHostEntry> removed = hosts.entries_for(address);
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
  replace_known_hosts(path, kept);
  return removed;
}

std::size_t hash_known_hosts(const std::string& path) {
  if (is_missing(path)) {
    return 0;
  }
  const KnownHostsLock lock(path);
  KnownHosts hosts = KnownHosts::load(path);
  const std::size_t hashed = hosts.hash_plain_lines();
  if (hashed > 0) {
    hosts.save();
  }
  return hashed;
}

std::optional<std::string> KnownHosts::lookup(std::string_view address) const {
  // Comment lines name nothing; an empty address is never stored, so none matches.
  if (address.empty()) {
    return std::nullopt;
  }
  const std::string key = canonical_address(address);
  const auto found = std::find_if(lines_.rbegin(), lines_.rend(), [&](const Line& line) {
    return line.usable() && line.names(key);
  });
  if (found == lines_.rend()) {
    return std::nullopt;
  }
  return found->fingerprint;
}

void KnownHosts::set(std::string address, std::string fingerprint, bool hashed) {
  // Refused here rather than written: a line that cannot be read back would be skipped by
  // every later load().
  if (!is_storable_address(address)) {
    throw TrustError(fmt::format(
        "cannot remember the server in {}: the address has whitespace or control characters, "
        "starts with '#' or '|' or is over {} bytes",
        path_, kMaxAddressBytes));
  }
  if (!crypto::looks_like_fingerprint(fingerprint)) {
    throw TrustError(
        fmt::format("cannot remember the server in {}: not a SHA256: fingerprint", path_));
  }
  const std::string key = canonical_address(address);
  Line entry;
  if (hashed) {
    entry.salt = fresh_salt();
    entry.address = hashed_address(key, entry.salt);
    entry.hash = hmac_sha1(entry.salt, key);
  } else {
    entry.address = key;
    entry.key = key;
  }
  entry.text = entry.address + ' ' + fingerprint;
  entry.fingerprint = std::move(fingerprint);
  const auto same = [&](const Line& line) { return line.usable() && line.names(key); };
  const auto first = std::ranges::find_if(lines_, same);
  if (first == lines_.end()) {
    lines_.push_back(std::move(entry));
    return;
  }
  const auto at = std::distance(lines_.begin(), first);
  std::erase_if(lines_, same);
  lines_.insert(lines_.begin() + at, std::move(entry));
}

std::size_t KnownHosts::hash_plain_lines() {
  std::size_t hashed = 0;
  for (Line& line : lines_) {
    if (!line.usable() || !line.salt.empty()) {
      continue;
    }
    line.salt = fresh_salt();
    line.hash = hmac_sha1(line.salt, line.key);
    line.address = hashed_address(line.key, line.salt);
    line.key.clear();
    line.text = line.address + ' ' + line.fingerprint;
    ++hashed;
  }
  return hashed;
}

void KnownHosts::save() const {
  std::string text;
  for (const Line& line : lines_) {
    text += line.text;
    text += '\n';
  }
  make_private_dirs(parent_dir(path_));
  replace_known_hosts(path_, text);
}

KnownHostsLock::KnownHostsLock(const std::string& path) {
  make_private_dirs(parent_dir(path));
  const std::string lock_path = path + ".lock";
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd_ < 0) {
    throw_io("open", lock_path, errno);
  }
  struct stat st {};
  std::optional<std::string> problem;
  if (::fstat(fd_, &st) != 0) {
    problem =
        fmt::format("cannot read known_hosts lock file '{}': {}", lock_path, errno_text(errno));
  } else if (!S_ISREG(st.st_mode)) {
    problem = fmt::format("cannot use known_hosts lock file '{}': not a regular file", lock_path);
  } else {
    problem = file_rule_violation(lock_path, st.st_mode, st.st_uid, FileRule::trusted,
                                  "known_hosts lock file");
  }
  if (problem) {
    ::close(fd_);
    throw IoError(*problem);
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
