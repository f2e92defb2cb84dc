#include "cli/usage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "cli/checks.hpp"
#include "util/edit_distance.hpp"
#include "util/text.hpp"

namespace cryptochat::cli {

namespace {

constexpr std::string_view kFooter =
    "Run 'cryptochat help SUBCOMMAND' for a subcommand's options; the manual is 'man "
    "cryptochat'.\n"
    "Exit status: 0 ok (in a session: every byte delivered and confirmed), 1 failure,\n"
    "2 usage error, 3 peer key refused or changed, 128+N interrupted by signal N.\n";

bool is_option_word(std::string_view word) {
  return word.size() >= 2 && word.front() == '-';
}

// "serve" -> "cryptochat serve"; the top level -> "cryptochat".
std::string command_name(const CLI::App* sub) {
  return sub == nullptr ? std::string("cryptochat") : "cryptochat " + sub->get_name();
}

std::string see_help(const CLI::App* sub) {
  return sub == nullptr ? std::string("see 'cryptochat help'")
                        : fmt::format("see 'cryptochat help {}'", sub->get_name());
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string list_words(const std::vector<std::string>& words, std::string_view last = " and ") {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += i == 0 ? "" : i + 1 == words.size() ? last : ", ";
    out += words[i];
  }
  return out;
}

// The subcommand given, if any.
const CLI::App* chosen(const CLI::App& app) {
  const auto parsed = app.get_subcommands();
  return parsed.empty() ? nullptr : parsed.front();
}

// The options that apply where sub was given: its own and the top level's (fallthrough).
std::vector<const CLI::Option*> options_of(const CLI::App& app, const CLI::App* sub) {
  auto options = app.get_options();
  if (sub != nullptr) {
    const auto own = sub->get_options();
    options.insert(options.begin(), own.begin(), own.end());
  }
  return options;
}

// The option a typed word ("--out", "--out=x", "-o", "-ox") names, if any.
const CLI::Option* option_named(const std::vector<const CLI::Option*>& options,
                                std::string_view word) {
  std::string name;
  if (word.starts_with("--")) {
    name = std::string(word.substr(0, word.find('=')));
  } else if (is_option_word(word)) {
    name = std::string(word.substr(0, 2));
  } else {
    return nullptr;
  }
  for (const CLI::Option* opt : options) {
    if (!opt->get_positional() && opt->check_name(name)) {
      return opt;
    }
  }
  return nullptr;
}

std::string did_you_mean(const std::optional<std::string>& suggestion) {
  return suggestion ? fmt::format("; did you mean '{}'?", *suggestion) : std::string();
}

std::string unknown_option(const CLI::App& app, const CLI::App* sub, std::string_view word) {
  const auto options = options_of(app, sub);
  std::optional<std::string> suggestion;
  std::string shown(word);
  if (word.starts_with("--")) {
    shown = std::string(word.substr(0, word.find('=')));
    std::vector<std::string> names;
    for (const CLI::Option* opt : options) {
      for (const std::string& name : opt->get_lnames()) {
        names.push_back("--" + name);
      }
    }
    suggestion = closest_match(shown, names);
  } else {
    shown = std::string(word.substr(0, 2));
    // "-b" where only a long option starts with b (serve's --bind): that one.
    std::vector<std::string> starting;
    for (const CLI::Option* opt : options) {
      for (const std::string& name : opt->get_lnames()) {
        if (name.front() == shown[1]) {
          starting.push_back("--" + name);
        }
      }
    }
    if (starting.size() == 1) {
      suggestion = starting.front();
    }
  }
  const std::string where = sub == nullptr ? std::string() : " for " + command_name(sub);
  return fmt::format("unknown option '{}'{}{}", printable(shown), where,
                     suggestion ? did_you_mean(suggestion) : " (" + see_help(sub) + ")");
}

std::string unknown_subcommand(const CLI::App& app, std::string_view word) {
  auto names = subcommand_names(app);
  if (const auto suggestion = closest_match(word, [&] {
        auto with_help = names;
        with_help.emplace_back("help");
        return with_help;
      }())) {
    return fmt::format("unknown subcommand '{}'{}", printable(word), did_you_mean(suggestion));
  }
  return fmt::format("unknown subcommand '{}' (the subcommands are {})", printable(word),
                     list_words(names));
}

// A word the parser could not place: an unknown option, subcommand or extra argument.
std::string unplaced_word(const CLI::App& app, std::string_view word) {
  const CLI::App* sub = chosen(app);
  if (is_option_word(word)) {
    return unknown_option(app, sub, word);
  }
  if (sub == nullptr) {
    return unknown_subcommand(app, word);
  }
  return fmt::format("unexpected argument '{}' for {} ({})", printable(word), command_name(sub),
                     see_help(sub));
}

// The word the parser left over that was typed first.
std::optional<std::string> first_unplaced(const CLI::App& app, std::span<char* const> args) {
  const auto left = app.remaining(true);
  if (left.empty()) {
    return std::nullopt;
  }
  std::size_t best_at = args.size();
  std::string best = left.front();
  for (const std::string& word : left) {
    for (std::size_t i = 0; i < args.size() && i < best_at; ++i) {
      const std::string_view typed(args[i]);
      if (typed == word ||
          (typed.starts_with(word) && typed.size() > word.size() && typed[word.size()] == '=')) {
        best_at = i;
        best = word;
      }
    }
  }
  return best;
}

std::string missing_required(const CLI::App& app) {
  const CLI::App* sub = chosen(app);
  if (sub == nullptr) {
    return fmt::format("no subcommand given: use {} ({})",
                       list_words(subcommand_names(app), " or "), see_help(nullptr));
  }
  for (const CLI::Option* opt : sub->get_options()) {
    if (opt->get_required() && opt->count() == 0) {
      return fmt::format("{} needs {} ({})", command_name(sub),
                         opt->get_positional() ? opt->get_type_name() : opt->get_name(),
                         see_help(sub));
    }
  }
  return fmt::format("{} is missing an argument ({})", command_name(sub), see_help(sub));
}

std::string excluded(const CLI::App& app) {
  const CLI::App* sub = chosen(app);
  for (const CLI::Option* opt : options_of(app, sub)) {
    if (opt->count() == 0) {
      continue;
    }
    for (const CLI::Option* other : opt->get_excludes()) {
      if (other->count() > 0) {
        return fmt::format("{} and {} cannot be used together", opt->get_name(), other->get_name());
      }
    }
  }
  return fmt::format("two options that exclude each other were given ({})", see_help(sub));
}

// An option typed without its value ("keygen --out"), or a flag typed with one ("--once=1").
std::string value_mismatch(const CLI::App& app, std::span<char* const> args) {
  const CLI::App* sub = chosen(app);
  const auto options = options_of(app, sub);
  // First an option left without its value, then a flag given one.
  for (const bool want_flag : {false, true}) {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string_view word(args[i]);
      const CLI::Option* opt = option_named(options, word);
      if (opt == nullptr) {
        continue;
      }
      const bool flag = opt->get_expected_max() == 0;
      const bool inline_value =
          word.starts_with("--") ? word.find('=') != std::string_view::npos : word.size() > 2;
      if (want_flag && flag && inline_value && word.starts_with("--")) {
        return fmt::format("{} takes no value", opt->get_name());
      }
      if (!want_flag && !flag && !inline_value &&
          (i + 1 == args.size() || is_option_word(args[i + 1]))) {
        return fmt::format("{} needs a value ({})", opt->get_name(), opt->get_type_name());
      }
    }
  }
  return fmt::format("an option is missing its value or has one too many ({})", see_help(sub));
}

}  // namespace

std::string HelpFormatter::make_option_name(const CLI::Option* opt, bool is_positional) const {
  // A positional argument is shown as what it holds ("HOST:PORT"), in the usage line too.
  if (is_positional && !opt->get_type_name().empty()) {
    return opt->get_type_name();
  }
  return CLI::Formatter::make_option_name(opt, is_positional);
}

std::string HelpFormatter::make_option_opts(const CLI::Option* opt) const {
  // The value's name only: no "Excludes:", "Needs:", validator ranges or "=default" (the
  // default is in the description).
  if (opt->get_positional() || opt->get_expected_max() == 0 || opt->get_type_name().empty()) {
    return {};
  }
  return " " + opt->get_type_name();
}

std::string HelpFormatter::make_option_desc(const CLI::Option* opt) const {
  std::string desc = opt->get_description();
  if (!opt->get_default_str().empty()) {
    desc += fmt::format(" [default: {}]", opt->get_default_str());
  }
  return desc;
}

std::string HelpFormatter::make_footer(const CLI::App* app) const {
  std::string footer = app->get_footer();
  if (!footer.empty()) {
    footer += "\n";
  }
  const auto options = app->get_options();
  if (std::ranges::any_of(options,
                          [](const CLI::Option* opt) { return opt->get_type_name() == "TIME"; })) {
    footer += fmt::format("{}\n", kTimeHelp);
  }
  return footer + std::string(kFooter);
}

HelpRewrite rewrite_help(std::span<char* const> args) {
  HelpRewrite out;
  out.args.assign(args.begin(), args.end());
  // The first word that is not an option nor --config's value.
  std::size_t i = 0;
  while (i < out.args.size() && is_option_word(out.args[i])) {
    i += out.args[i] == "--config" ? 2 : 1;
  }
  if (i >= out.args.size() || out.args[i] != "help") {
    return out;
  }
  out.args.erase(out.args.begin() + static_cast<std::ptrdiff_t>(i));
  if (i < out.args.size() && !is_option_word(out.args[i])) {
    out.help_target = out.args[i];
    ++i;
  }
  out.args.insert(out.args.begin() + static_cast<std::ptrdiff_t>(i), "--help");
  return out;
}

std::optional<std::string> check_help_target(const CLI::App& app, const HelpRewrite& rewrite) {
  if (!rewrite.help_target) {
    return std::nullopt;
  }
  const auto names = subcommand_names(app);
  if (std::ranges::find(names, *rewrite.help_target) != names.end()) {
    return std::nullopt;
  }
  return unknown_subcommand(app, *rewrite.help_target);
}

std::string usage_error_message(const CLI::App& app, const CLI::ParseError& e,
                                std::span<char* const> args) {
  // A word nothing took explains most other errors (a missing subcommand after "serv").
  if (const auto word = first_unplaced(app, args)) {
    return unplaced_word(app, *word);
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    if (auto message = take_check_failure()) {
      return *message;
    }
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    return missing_required(app);
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&e) != nullptr) {
    return excluded(app);
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr ||
      dynamic_cast<const CLI::ConversionError*>(&e) != nullptr) {
    return value_mismatch(app, args);
  }
  // Our own checks (a name with control characters, an empty value) say "OPTION: why".
  return printable(std::string_view(e.what()));
}

}  // namespace cryptochat::cli
