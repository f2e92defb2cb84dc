#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "chat/typed_input.hpp"
#include "util/progress.hpp"
#include "wire/frame.hpp"

using namespace cryptochat;
using chat::TypedInput;
using chat::TypedLine;

namespace {

wire::ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Collects what TypedInput sends, one string per call.
struct Sent {
  std::vector<std::string> messages;
  TypedInput::Send send() {
    return [this](wire::ByteView data) { messages.emplace_back(data.begin(), data.end()); };
  }
};

}  // namespace

TEST_CASE("is_quit_word takes exactly sair and /quit") {
  CHECK(chat::is_quit_word("sair"));
  CHECK(chat::is_quit_word("/quit"));
  for (const char* other : {"", "sair ", " sair", "xsair", "sairx", "sai", "/quit ", "quit",
                            "/QUIT", "sair\n", "/quit\n"}) {
    CAPTURE(other);
    CHECK_FALSE(chat::is_quit_word(other));
  }
}

TEST_CASE("each typed line is sent with its newline, in order") {
  TypedInput input;
  Sent sent;
  CHECK_FALSE(input.feed(as_bytes("hello\nworld\n\nlast\n"), sent.send()));
  CHECK(sent.messages == std::vector<std::string>{"hello\n", "world\n", "\n", "last\n"});
  input.finish(sent.send());
  CHECK(sent.messages.size() == 4);
}

TEST_CASE("an unfinished line waits for its newline, and finish sends it") {
  TypedInput input;
  Sent sent;
  CHECK_FALSE(input.feed(as_bytes("hel"), sent.send()));
  CHECK(sent.messages.empty());
  CHECK_FALSE(input.feed(as_bytes("lo"), sent.send()));
  CHECK(sent.messages.empty());
  CHECK_FALSE(input.feed(as_bytes(" there\nnext"), sent.send()));
  CHECK(sent.messages == std::vector<std::string>{"hello there\n"});
  CHECK_FALSE(input.feed(as_bytes(" one"), sent.send()));
  CHECK(sent.messages.size() == 1);
  input.finish(sent.send());
  CHECK(sent.messages == std::vector<std::string>{"hello there\n", "next one"});
  // Nothing is left to send twice.
  input.finish(sent.send());
  CHECK(sent.messages.size() == 2);
}

TEST_CASE("finish with nothing typed sends nothing, not an empty message") {
  TypedInput input;
  Sent sent;
  input.finish(sent.send());
  CHECK_FALSE(input.feed(as_bytes(""), sent.send()));
  input.finish(sent.send());
  CHECK(sent.messages.empty());
}

TEST_CASE("bytes fed one at a time make the same lines") {
  const std::string typed = "one\r\ntwo\n\xC3\xA9t\xC3\xA9\nrest";
  TypedInput input;
  Sent sent;
  for (const char c : typed) {
    REQUIRE_FALSE(input.feed(as_bytes(std::string_view(&c, 1)), sent.send()));
  }
  CHECK(sent.messages == std::vector<std::string>{"one\r\n", "two\n", "\xC3\xA9t\xC3\xA9\n"});
  input.finish(sent.send());
  CHECK(sent.messages.back() == "rest");
}

TEST_CASE("a quit word line ends the input and what follows is never sent") {
  for (const char* quit : {"sair\n", "/quit\n", "sair\r\n", "/quit\r\n"}) {
    CAPTURE(quit);
    TypedInput input;
    Sent sent;
    const std::string typed = std::string("before\n") + quit + "after\nand more";
    CHECK(input.feed(as_bytes(typed), sent.send()));
    CHECK(sent.messages == std::vector<std::string>{"before\n"});
    input.finish(sent.send());
    CHECK(sent.messages == std::vector<std::string>{"before\n"});
  }
}

TEST_CASE("a quit word counts only once its line is complete") {
  TypedInput input;
  Sent sent;
  CHECK_FALSE(input.feed(as_bytes("sa"), sent.send()));
  CHECK_FALSE(input.feed(as_bytes("ir"), sent.send()));
  CHECK_FALSE(input.feed(as_bytes("\r"), sent.send()));
  CHECK(input.feed(as_bytes("\nlater\n"), sent.send()));
  CHECK(sent.messages.empty());
}

TEST_CASE("lines that merely contain a quit word are sent as messages") {
  TypedInput input;
  Sent sent;
  const std::string typed = "sair \n xsair\nxsair\nsairx\n/quit now\nSAIR\n\rsair\r\n";
  CHECK_FALSE(input.feed(as_bytes(typed), sent.send()));
  CHECK(sent.messages == std::vector<std::string>{"sair \n", " xsair\n", "xsair\n", "sairx\n",
                                                  "/quit now\n", "SAIR\n", "\rsair\r\n"});
}

TEST_CASE("an unfinished line of a full record is sent without waiting for its newline") {
  const std::size_t full = wire::kMaxRecordData;
  TypedInput input;
  Sent sent;
  CHECK_FALSE(input.feed(as_bytes(std::string(full - 1, 'a')), sent.send()));
  CHECK(sent.messages.empty());
  CHECK_FALSE(input.feed(as_bytes("b"), sent.send()));
  REQUIRE(sent.messages.size() == 1);
  CHECK(sent.messages[0] == std::string(full - 1, 'a') + "b");
  // The buffer was emptied: the rest of the line goes out with its newline.
  CHECK_FALSE(input.feed(as_bytes("tail\n"), sent.send()));
  CHECK(sent.messages.size() == 2);
  CHECK(sent.messages[1] == "tail\n");
  input.finish(sent.send());
  CHECK(sent.messages.size() == 2);
}

TEST_CASE("a whole line of a full record is sent as one line") {
  const std::size_t full = wire::kMaxRecordData;
  TypedInput input;
  Sent sent;
  const std::string line = std::string(full - 1, 'c') + "\n";
  CHECK_FALSE(input.feed(as_bytes(line.substr(0, 1000)), sent.send()));
  CHECK_FALSE(input.feed(as_bytes(line.substr(1000)), sent.send()));
  CHECK(sent.messages == std::vector<std::string>{line});
}

TEST_CASE("a long paste without newlines is passed on, not held in memory") {
  const std::size_t full = wire::kMaxRecordData;
  std::string paste;
  for (std::size_t i = 0; i < 3 * full + 7; ++i) {
    paste.push_back(static_cast<char>('a' + i % 26));
  }
  TypedInput input;
  Sent sent;
  CHECK_FALSE(input.feed(as_bytes(paste), sent.send()));
  std::string joined;
  for (const auto& m : sent.messages) {
    joined += m;
  }
  CHECK(joined == paste);
  // Nothing was held back for finish.
  input.finish(sent.send());
  std::size_t total = 0;
  for (const auto& m : sent.messages) {
    total += m.size();
  }
  CHECK(total == paste.size());
}

// Once the first kMaxRecordData bytes of a line went out early, the rest of that line is not a
// line of its own: "aaa...asair\n" must not end the chat.
TEST_CASE("a quit word after a long unfinished line is part of that line") {
  // The first 65535 bytes of the line went out early; the line as typed is not a quit word.
  const std::size_t full = wire::kMaxRecordData;
  TypedInput input;
  Sent sent;
  CHECK_FALSE(input.feed(as_bytes(std::string(full, 'a')), sent.send()));
  CHECK(sent.messages.size() == 1);
  CHECK_FALSE(input.feed(as_bytes("sair\n"), sent.send()));
  CHECK(sent.messages.size() == 2);
}

TEST_CASE("run_typed_line: messages are sent, echoed and counted; commands answer through show") {
  wire::Participant self;
  self.name = "ann";
  self.key_hash.fill(0x11);
  std::vector<std::string> sent;
  std::vector<std::string> shown;
  bool quit = false;
  bool accept = true;
  chat::CommandHandlers on;
  on.send = [&](wire::ByteView line) {
    if (accept) {
      sent.emplace_back(line.begin(), line.end());
    }
    return accept;
  };
  on.quit = [&] { quit = true; };
  on.who = [] { return std::string("who-answer\n"); };
  on.fingerprints = [] { return std::string("fingerprint-answer\n"); };
  on.show = [&](std::string_view text) { shown.emplace_back(text); };
  std::vector<std::string> progress_out;
  ProgressMeter::Clock::time_point now{};
  ProgressMeter meter(ProgressMeter::Settings{
      false, std::nullopt, [&now] { return now; },
      [&progress_out](std::string_view t) { progress_out.emplace_back(t); }});
  const chat::Typist typist{self, chat::ViewOutput{}, &meter};

  chat::run_typed_line(chat::interpret_line("hello"), typist, on);
  REQUIRE(sent == std::vector<std::string>{"hello\n"});
  REQUIRE(shown.size() == 1);
  CHECK(shown[0].find("ann: hello\n") != std::string::npos);  // own line, as others' look

  accept = false;  // e.g. a room with nobody in it: not sent, not echoed, not counted
  chat::run_typed_line(chat::interpret_line("lost"), typist, on);
  CHECK(sent.size() == 1);
  CHECK(shown.size() == 1);

  chat::run_typed_line(chat::interpret_line("/who"), typist, on);
  chat::run_typed_line(chat::interpret_line("/fingerprint"), typist, on);
  chat::run_typed_line(chat::interpret_line("/help"), typist, on);
  chat::run_typed_line(chat::interpret_line("/nope"), typist, on);
  REQUIRE(shown.size() == 5);
  CHECK(shown[1] == "who-answer\n");
  CHECK(shown[2] == "fingerprint-answer\n");
  CHECK(shown[3] == chat::command_help());
  CHECK(shown[4] == chat::unknown_command_hint("/nope"));
  CHECK_FALSE(quit);
  chat::run_typed_line(chat::interpret_line("sair"), typist, on);
  CHECK(quit);
  CHECK(sent.size() == 1);  // commands are never sent

  now += std::chrono::seconds(10);
  meter.finish();
  REQUIRE_FALSE(progress_out.empty());
  CHECK(progress_out.back().find("sent 6 bytes") != std::string::npos);  // "hello\n" only
}

// The meaning of a typed line (interpret_line) and the /help text.

TEST_CASE("a typed line is a message unless it starts with /") {
  for (const char* text : {"hello", "", " /who", "sair é bom", "a/b", "quit", "/quit is here?"}) {
    CAPTURE(text);
    const TypedLine typed = chat::interpret_line(text);
    if (std::string_view(text).starts_with('/')) {
      CHECK(typed.kind == TypedLine::Kind::unknown);
    } else {
      CHECK(typed.kind == TypedLine::Kind::message);
      CHECK(typed.text == text);
    }
  }
}

TEST_CASE("the commands, with spaces after them ignored") {
  CHECK(chat::interpret_line("/help").kind == TypedLine::Kind::help);
  CHECK(chat::interpret_line("/who").kind == TypedLine::Kind::who);
  CHECK(chat::interpret_line("/who  ").kind == TypedLine::Kind::who);
  CHECK(chat::interpret_line("/fingerprint").kind == TypedLine::Kind::fingerprint);
  CHECK(chat::interpret_line("/fingerprint\t").kind == TypedLine::Kind::fingerprint);
  CHECK(chat::interpret_line("/quit").kind == TypedLine::Kind::quit);
  CHECK(chat::interpret_line("/quit ").kind == TypedLine::Kind::quit);
  CHECK(chat::interpret_line("sair").kind == TypedLine::Kind::quit);
  // sair is a word, not a command: with anything around it, it is said.
  CHECK(chat::interpret_line("sair ").kind == TypedLine::Kind::message);
}

TEST_CASE("an unknown or malformed command is named and never a message") {
  struct Case {
    const char* line;
    const char* word;
  };
  for (const auto& c : {Case{"/foo", "/foo"}, Case{"/foo bar baz", "/foo"}, Case{"/", "/"},
                        Case{"/ hi", "/"}, Case{"/WHO", "/WHO"}, Case{"/who me", "/who"},
                        Case{"/help\tme", "/help"}, Case{"/usr/bin", "/usr/bin"}}) {
    CAPTURE(c.line);
    const TypedLine typed = chat::interpret_line(c.line);
    CHECK(typed.kind == TypedLine::Kind::unknown);
    CHECK(typed.text == c.word);
  }
}

TEST_CASE("// at the start sends one literal /") {
  CHECK(chat::interpret_line("//who").kind == TypedLine::Kind::message);
  CHECK(chat::interpret_line("//who").text == "/who");
  CHECK(chat::interpret_line("//").text == "/");
  CHECK(chat::interpret_line("///x").text == "//x");
  CHECK(chat::interpret_line("//quit").text == "/quit");
}

TEST_CASE("/help names every command") {
  const std::string help(chat::command_help());
  for (const char* word : {"/help", "/who", "/fingerprint", "/quit", "sair", "//"}) {
    CAPTURE(word);
    CHECK(help.find(word) != std::string::npos);
  }
  CHECK(help.back() == '\n');
}
