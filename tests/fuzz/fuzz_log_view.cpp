// A room's log (chat/log_view.hpp) fed hostile bytes: what senders say (any bytes, any names).
// Oracles: a lines field holds no control byte and is UTF-8, and undoing its escapes
// gives back the exact bytes; a json line parses, and its text (or data_b64) gives them back;
// a LogView fed the input in pieces from several senders never fails.
#include <fcntl.h>
#include <unistd.h>

#include <botan/base64.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "chat/log_view.hpp"
#include "fuzz_common.hpp"
#include "util/text.hpp"

using namespace cryptochat;

namespace {

std::string unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out.push_back(field[i]);
      continue;
    }
    fuzz::check(i + 1 < field.size(), "a lone backslash at the end of a field");
    const char c = field[++i];
    if (c == 'x') {
      fuzz::check(i + 2 < field.size(), "a short \\x escape");
      out.push_back(static_cast<char>(std::stoi(std::string(field.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (c == 't') {
      out.push_back('\t');
    } else if (c == 'r') {
      out.push_back('\r');
    } else if (c == 'n') {
      out.push_back('\n');
    } else {
      fuzz::check(c == '\\', "an unknown escape");
      out.push_back('\\');
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const std::string escaped = chat::escape_log_field(text);
  for (const char c : escaped) {
    const auto b = static_cast<unsigned char>(c);
    fuzz::check(b >= 0x20 && b != 0x7F, "an escaped field holds a control byte");
  }
  // Well-formed UTF-8 is kept as it is (format characters too: the log is the exact text, for
  // programs; a terminal shows it through printable()).
  fuzz::check(chat::is_utf8(escaped), "an escaped field is not UTF-8");
  fuzz::check(unescape(escaped) == text, "the escapes do not give back the bytes");

  wire::Participant who;
  who.key_hash.fill(0x5a);
  who.name = std::string(text.substr(0, std::min<std::size_t>(text.size(), 64)));
  const auto line = chat::format_log_line(chat::LogFormat::json, std::chrono::system_clock::now(),
                                          chat::LogKind::message, who, text);
  const auto object = nlohmann::json::parse(line);
  const std::string shown = object.at("text").get<std::string>();
  if (object.contains("data_b64")) {
    const auto raw = Botan::base64_decode(object.at("data_b64").get<std::string>());
    fuzz::check(std::string(raw.begin(), raw.end()) == text, "data_b64 is not the bytes");
    fuzz::check(!chat::is_utf8(text), "data_b64 for UTF-8 text");
  } else {
    fuzz::check(shown == text, "the json text is not the bytes");
  }

  // The input in pieces from three senders, cut where the bytes say.
  static const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  chat::LogView log(null_fd, size % 2 == 0 ? chat::LogFormat::lines : chat::LogFormat::json);
  std::size_t at = 0;
  while (at < size) {
    const std::size_t piece = 1 + data[at] % 97;
    const std::size_t n = std::min(piece, size - at);
    wire::Participant sender;
    sender.key_hash.fill(static_cast<std::uint8_t>(data[at] % 3));
    log.message(sender, wire::ByteView(data + at, n));
    if (data[at] == 0xEE) {
      log.event(chat::LogKind::left, sender);
    }
    at += n;
  }
  log.flush();
  return 0;
}
