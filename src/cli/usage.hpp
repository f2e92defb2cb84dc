// The command line's own words: the help layout (no parser clutter, a footer pointing to the
// manual and the exit statuses), `cryptochat help [SUBCOMMAND]`, and one-line messages for
// every parse error, made from CLI11's error types and what was typed (never from CLI11's
// English text), with a "did you mean" when a mistyped name is close to a real one.
#pragma once

#include <CLI/App.hpp>
#include <CLI/Error.hpp>
#include <CLI/Formatter.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cryptochat::cli {

// The help layout of every subcommand (set on the app before any subcommand is added).
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override;
  std::string make_option_opts(const CLI::Option* opt) const override;
  std::string make_option_desc(const CLI::Option* opt) const override;
  std::string make_footer(const CLI::App* app) const override;
};

// The command line with `help` made into --help: "help" -> "--help", "help serve" ->
// "serve --help". help_target is set to the subcommand named after help (checked by
// check_help_target once the subcommands exist).
struct HelpRewrite {
  std::vector<std::string> args;  // without the program name
  std::optional<std::string> help_target;
};
HelpRewrite rewrite_help(std::span<char* const> args);

// A message when `help NAME` names no subcommand.
std::optional<std::string> check_help_target(const CLI::App& app, const HelpRewrite& rewrite);

// The one-line message for a parse error that is not a call for help or the version.
std::string usage_error_message(const CLI::App& app, const CLI::ParseError& e,
                                std::span<char* const> args);

}  // namespace cryptochat::cli
