#include "cli/config_file.hpp"

#include <fmt/format.h>
#include <CLI/Config.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>
#include <string_view>

#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/text.hpp"

namespace cryptochat::cli {

namespace {

constexpr std::string_view kExtrasPrefix = "INI was not able to parse ";
constexpr std::string_view kNotConfigurableSuffix =
    ": This option is not allowed in a configuration file";

// CLI11's TOML reader, but it reads at most kMaxConfigBytes: a huge file (or /dev/zero) is
// refused instead of being read into memory.
class BoundedToml : public CLI::ConfigTOML {
 public:
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::string text(kMaxConfigBytes + 1, '\0');
    input.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(input.gcount()));
    if (text.size() > kMaxConfigBytes) {
      throw CLI::ConfigError(fmt::format("it is larger than {} KiB: is it a configuration file?",
                                         kMaxConfigBytes / 1024));
    }
    if (text.find('\0') != std::string::npos) {
      throw CLI::ConfigError("it holds NUL bytes: is it a configuration file?");
    }
    std::istringstream in(text);
    items_ = CLI::ConfigTOML::from_config(in);
    return items_;
  }

  // What the file set, to tell whether a bad value came from it.
  [[nodiscard]] const std::vector<CLI::ConfigItem>& items() const { return items_; }

 private:
  mutable std::vector<CLI::ConfigItem> items_;
};

std::string default_config_path() {
  try {
    return config_dir() + "/config.toml";
  } catch (const Error&) {
    return {};  // no home folder: there is no default file
  }
}

// The file the error is about: --config's value, else the default.
std::string config_path(const CLI::App& app) {
  const CLI::Option* opt = app.get_config_ptr();
  if (opt != nullptr && opt->count() > 0) {
    return opt->as<std::string>();
  }
  return default_config_path();
}

// "serve.colour" -> "'colour' in [serve]"; the end of an empty section -> "section [serve]".
std::string describe_key(std::string_view full) {
  const auto dot = full.rfind('.');
  if (dot == std::string_view::npos) {
    return fmt::format(
        "setting '{}' (at the top only --verbose and --quiet may be set; options "
        "of a subcommand go in its section, such as [connect])",
        printable(full));
  }
  const auto section = full.substr(0, dot);
  const auto key = full.substr(dot + 1);
  if (key == "++" || key == "--") {
    return fmt::format("section [{}] (sections are keygen, serve and connect)", printable(section));
  }
  return fmt::format("setting '{}' in [{}]", printable(key), printable(section));
}

// True when args (the command line) sets opt: "--port 5", "--port=5", "-p 5" or "-p5".
bool on_command_line(const CLI::Option& opt, std::span<char* const> args) {
  return std::ranges::any_of(args, [&opt](const char* arg) {
    const std::string_view word(arg);
    if (word.starts_with("--")) {
      return opt.check_name(std::string(word.substr(0, word.find('='))));
    }
    return word.size() >= 2 && word[0] == '-' && opt.check_name(std::string(word.substr(0, 2)));
  });
}

// The long option a CLI11 message is about ("--port: Value 0 not in range ..."), without dashes.
std::string_view option_in(std::string_view message) {
  const auto start = message.find("--");
  if (start == std::string_view::npos) {
    return {};
  }
  auto end = start + 2;
  while (end < message.size() &&
         (std::islower(static_cast<unsigned char>(message[end])) != 0 ||
          std::isdigit(static_cast<unsigned char>(message[end])) != 0 || message[end] == '-')) {
    ++end;
  }
  return message.substr(start + 2, end - start - 2);
}

// A bad value set by the file, not on the command line: the message names the file and section.
std::optional<std::string> bad_value_message(const CLI::App& app, std::string_view what,
                                             std::span<char* const> args) {
  const auto formatter = std::dynamic_pointer_cast<const BoundedToml>(app.get_config_formatter());
  const std::string_view name = option_in(what);
  if (!formatter || name.empty()) {
    return std::nullopt;
  }
  for (const CLI::ConfigItem& item : formatter->items()) {
    if (item.name != name) {
      continue;
    }
    const CLI::App* owner = &app;
    try {
      for (const std::string& parent : item.parents) {
        owner = owner->get_subcommand(parent);
      }
    } catch (const CLI::OptionNotFound&) {
      continue;
    }
    const CLI::Option* opt = owner->get_option_no_throw("--" + item.name);
    if (opt == nullptr || on_command_line(*opt, args)) {
      continue;
    }
    const std::string section =
        item.parents.empty() ? std::string() : fmt::format(" in [{}]", item.parents.front());
    return fmt::format("{}: bad value for '{}'{}: {}", printable(config_path(app)),
                       printable(item.name), printable(section), printable(what));
  }
  return std::nullopt;
}

}  // namespace

void add_config_option(CLI::App& app, std::span<char* const> args) {
  app.config_formatter(std::make_shared<BoundedToml>());
  app.allow_config_extras(CLI::config_extras_mode::error);
  // Help and the version do not read the default file: a broken file must not hide the help
  // that says how to fix it.
  const bool help_or_version = std::any_of(args.begin(), args.end(), [](const char* arg) {
    const std::string_view word(arg);
    return word == "-h" || word == "--help" || word == "-V" || word == "--version";
  });
  app.set_config("--config", help_or_version ? std::string() : default_config_path(),
                 "Read option defaults from this TOML file [default: "
                 "$XDG_CONFIG_HOME/cryptochat/config.toml, if it exists]")
      ->type_name("FILE");
}

std::optional<std::string> config_error_message(const CLI::App& app, const CLI::ParseError& e,
                                                std::span<char* const> args) {
  const std::string_view what = e.what();
  if (dynamic_cast<const CLI::FileError*>(&e) != nullptr) {
    return fmt::format(
        "cannot read the configuration file {}: it is missing, unreadable or not a file",
        printable(config_path(app)));
  }
  if (dynamic_cast<const CLI::ConfigError*>(&e) == nullptr) {
    return bad_value_message(app, what, args);
  }
  const std::string path = printable(config_path(app));
  if (what.starts_with(kExtrasPrefix)) {
    return fmt::format("{}: unknown {}", path, describe_key(what.substr(kExtrasPrefix.size())));
  }
  if (what.ends_with(kNotConfigurableSuffix)) {
    return fmt::format("{}: '{}' cannot be set in a configuration file", path,
                       printable(what.substr(0, what.size() - kNotConfigurableSuffix.size())));
  }
  return fmt::format("{}: {}", path, printable(what));
}

}  // namespace cryptochat::cli
