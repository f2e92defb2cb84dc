#include "chat/log_view.hpp"

#include <botan/base64.h>
#include <fmt/format.h>
#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "crypto/fingerprint.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace cryptochat::chat {

namespace {

bool same_sender(const wire::Participant& a, const wire::Participant& b) {
  return a.key_hash == b.key_hash && a.name == b.name;
}

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

}  // namespace

const char* log_kind_name(LogKind kind) {
  switch (kind) {
    case LogKind::message:
      return "message";
    case LogKind::partial:
      return "partial";
    case LogKind::joined:
      return "joined";
    case LogKind::left:
      return "left";
    case LogKind::present:
      return "present";
    case LogKind::verified:
      return "verified";
  }
  return "message";
}

std::string log_time(std::chrono::system_clock::time_point time) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char stamp[32];
  if (std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc) == 0) {
    stamp[0] = '\0';
  }
  return fmt::format("{}.{:03}Z", stamp, ms % 1000);
}

std::string escape_log_field(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x80) {
      if (const std::size_t len = utf8_sequence_length(bytes, i); len > 0) {
        out.append(bytes.substr(i, len));
        i += len;
        continue;
      }
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
    ++i;
  }
  return out;
}

bool is_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
    } else if (const std::size_t len = utf8_sequence_length(bytes, i); len > 0) {
      i += len;
    } else if (c == 0xC2 && i + 1 < bytes.size() &&
               static_cast<unsigned char>(bytes[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(bytes[i + 1]) <= 0x9F) {
      i += 2;  // a C1 control: well-formed, only not printable
    } else {
      return false;
    }
  }
  return true;
}

std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point time,
                            LogKind kind, const wire::Participant& who, std::string_view text) {
  const bool has_text = kind == LogKind::message || kind == LogKind::partial;
  const std::string fingerprint = crypto::fingerprint_of_hash(who.key_hash);
  if (format == LogFormat::lines) {
    return fmt::format("{}\t{}\t{}\t{}\t{}\n", log_time(time), log_kind_name(kind),
                       escape_log_field(who.name), fingerprint,
                       has_text ? escape_log_field(text) : std::string());
  }
  nlohmann::ordered_json object;
  object["time"] = log_time(time);
  object["type"] = log_kind_name(kind);
  object["name"] = who.name;  // invalid UTF-8 in a name: U+FFFD (below)
  object["fingerprint"] = fingerprint;
  if (has_text) {
    object["text"] = std::string(text);
    if (!is_utf8(text)) {
      // "text" shows it with U+FFFD for what is not UTF-8; the exact bytes are here.
      object["data_b64"] =
          Botan::base64_encode(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    }
  }
  return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

LogView::LogView(int fd, LogFormat format) : fd_(fd), format_(format) {}

void LogView::write_line(LogKind kind, const wire::Participant& who, std::string_view text) const {
  write_all(fd_, format_log_line(format_, std::chrono::system_clock::now(), kind, who, text),
            "standard output");
}

void LogView::flush_at(std::size_t index) {
  Pending entry = std::move(pending_.at(index));
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
  pending_bytes_ -= entry.text.size();
  write_line(LogKind::partial, entry.who, entry.text);
}

void LogView::message(const wire::Participant& sender, wire::ByteView data) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return same_sender(p.who, sender); });
  std::string text;
  if (it != pending_.end()) {
    text = std::move(it->text);
    pending_bytes_ -= text.size();
    pending_.erase(it);
  }
  std::string_view rest = wire::text_of(data);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::size_t take = nl == std::string_view::npos ? rest.size() : nl;
    if (text.size() + take > kMaxLine) {
      // Too long for one line: a piece of kMaxLine bytes, cut between UTF-8 characters.
      std::size_t cut = kMaxLine - text.size();
      for (int back = 0; back < 3 && cut > 0 && is_continuation(rest[cut]); ++back) {
        --cut;
      }
      text.append(rest.substr(0, cut));
      rest.remove_prefix(cut);
      write_line(LogKind::partial, sender, text);
      text.clear();
      continue;
    }
    text.append(rest.substr(0, take));
    rest.remove_prefix(take);
    if (nl != std::string_view::npos) {
      write_line(LogKind::message, sender, text);
      text.clear();
      rest.remove_prefix(1);
    }
  }
  if (text.empty()) {
    return;
  }
  pending_bytes_ += text.size();
  pending_.push_back(Pending{sender, std::move(text)});
  while (pending_bytes_ > kMaxPending || pending_.size() > kMaxSenders) {
    flush_at(0);
  }
}

void LogView::event(LogKind kind, const wire::Participant& who) {
  if (kind == LogKind::left) {
    const auto it = std::find_if(pending_.begin(), pending_.end(),
                                 [&](const Pending& p) { return same_sender(p.who, who); });
    if (it != pending_.end()) {
      flush_at(static_cast<std::size_t>(it - pending_.begin()));
    }
  }
  write_line(kind, who, {});
}

void LogView::flush() {
  while (!pending_.empty()) {
    flush_at(0);
  }
}

}  // namespace cryptochat::chat
