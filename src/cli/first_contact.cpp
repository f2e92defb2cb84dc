#include "cli/first_contact.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "trust/known_hosts.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/signals.hpp"
#include "util/unique_fd.hpp"

namespace cryptochat::cli {

namespace {

constexpr const char* kQuestion =
    "Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
constexpr const char* kAgain = "Please type 'yes', 'no' or the fingerprint: ";
// An answer is a word or a fingerprint; longer lines are not answers (and are not kept).
constexpr std::size_t kMaxAnswerBytes = 256;
// Answers that are none of yes, no or a fingerprint, before the question counts as unanswered.
constexpr int kMaxAsks = 10;

// fd is this process's controlling terminal: tcgetpgrp fails with ENOTTY on any other.
bool is_controlling_terminal(int fd) {
  return ::isatty(fd) != 0 && ::tcgetpgrp(fd) != -1;
}

std::string lowercase(std::string text) {
  std::ranges::transform(text, text.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return text;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

bool person_at_terminal() {
  return is_controlling_terminal(STDIN_FILENO) || is_controlling_terminal(STDERR_FILENO);
}

std::string describe_refusal(FirstContactAnswer answer) {
  switch (answer) {
    case FirstContactAnswer::no:
      return "you answered no";
    case FirstContactAnswer::fingerprint_differs:
      return "the fingerprint typed is not the server's";
    case FirstContactAnswer::no_answer:
      return "no answer at the terminal";
    case FirstContactAnswer::interrupted:
      return fmt::format("interrupted by {} at the question",
                         signal_name(StopSignals::first_signal()));
    case FirstContactAnswer::yes:
    case FirstContactAnswer::fingerprint_matches:
      break;
  }
  return "accepted";
}

std::vector<std::string> first_contact_lines(const std::string& address,
                                             const std::string& connected_to,
                                             const std::string& fingerprint) {
  const bool elsewhere = !connected_to.empty() && trust::canonical_address(connected_to) !=
                                                      trust::canonical_address(address);
  return {
      elsewhere ? fmt::format("The authenticity of server '{}' ({}) can't be established.", address,
                              connected_to)
                : fmt::format("The authenticity of server '{}' can't be established.", address),
      fmt::format("Its key fingerprint is {}.", fingerprint),
  };
}

FirstContactAnswer ask_first_contact(const std::vector<std::string>& lines,
                                     const std::string& fingerprint, int stop_fd) {
  const UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (!tty) {
    throw IoError(fmt::format("cannot open the terminal /dev/tty: {}", errno_text(errno)));
  }
  std::string text;
  for (const std::string& line : lines) {
    text += line;
    text += '\n';
  }
  text += kQuestion;
  write_all(tty.get(), text, "the terminal");
  std::string answer;
  bool too_long = false;
  int asked = 1;
  while (true) {
    std::array<pollfd, 2> fds{pollfd{tty.get(), POLLIN, 0}, pollfd{stop_fd, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(fmt::format("cannot wait for the terminal: {}", errno_text(errno)));
    }
    if ((fds[1].revents & POLLIN) != 0) {
      write_all(tty.get(), "\n", "the terminal");
      return FirstContactAnswer::interrupted;
    }
    if (fds[0].revents == 0) {
      continue;
    }
    std::array<char, 512> buf{};
    const ssize_t n = ::read(tty.get(), buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (n <= 0) {
      write_all(tty.get(), "\n", "the terminal");  // the error starts on a line of its own
      return FirstContactAnswer::no_answer;
    }
    for (const char c : std::string_view(buf.data(), static_cast<std::size_t>(n))) {
      if (c != '\n') {
        if (answer.size() < kMaxAnswerBytes) {
          answer.push_back(c);
        } else {
          too_long = true;
        }
        continue;
      }
      const std::string word = trimmed(answer);
      const bool was_too_long = too_long;
      answer.clear();
      too_long = false;
      if (!was_too_long) {
        if (lowercase(word) == "yes") {
          return FirstContactAnswer::yes;
        }
        if (lowercase(word) == "no") {
          return FirstContactAnswer::no;
        }
        if (word == fingerprint) {
          return FirstContactAnswer::fingerprint_matches;
        }
        if (lowercase(word).starts_with("sha256:")) {
          return FirstContactAnswer::fingerprint_differs;
        }
      }
      if (++asked > kMaxAsks) {
        return FirstContactAnswer::no_answer;
      }
      write_all(tty.get(), kAgain, "the terminal");
    }
  }
}

}  // namespace cryptochat::cli
