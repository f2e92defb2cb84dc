#include "cli/config_file.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <CLI/Config.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <istream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/edit_distance.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"
#include "util/text.hpp"

namespace cryptochat::cli {

namespace {

// An error about the configuration file whose message is complete: "FILE:LINE: ...".
class ConfigFileError : public CLI::ConfigError {
 public:
  explicit ConfigFileError(std::string message)
      : CLI::ConfigError("ConfigError", std::move(message), CLI::ExitCodes::ConfigError) {}
};

std::string default_config_path() {
  try {
    return config_dir() + "/config.toml";
  } catch (const Error&) {
    return {};  // no home folder: there is no default file
  }
}

// The file being read: --config's value, else the default.
std::string config_path(const CLI::App& app) {
  const CLI::Option* opt = app.get_config_ptr();
  if (opt != nullptr && opt->count() > 0) {
    return opt->as<std::string>();
  }
  return default_config_path();
}

// What a value in the file must be, from the option it sets. Flags take booleans; the options
// of a count or a time take numbers (their type names, given where they are added, say so);
// every other option takes a string. No option takes several values, so arrays are refused.
enum class Kind { boolean, integer, number, time, string };

Kind kind_of(const CLI::Option& opt) {
  if (opt.get_expected_min() == 0) {
    return Kind::boolean;
  }
  // get_type_name() appends the validators' descriptions after a ':'.
  const std::string full = opt.get_type_name();
  const std::string_view type = std::string_view(full).substr(0, full.find(':'));
  if (type == "N") {
    return Kind::integer;
  }
  if (type == "SECONDS") {
    return Kind::number;
  }
  if (type == "TIME") {
    return Kind::time;  // seconds as a number, or a string with a unit: "90s", "5m", "2h", "1d"
  }
  return Kind::string;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::boolean:
      return "a boolean (true or false)";
    case Kind::integer:
      return "an integer";
    case Kind::number:
      return "a number";
    case Kind::time:
      return "a number of seconds or a string such as \"5m\"";
    case Kind::string:
      return "a string";
  }
  return "a value";
}

std::string_view toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "a value";
}

// The option's argument as CLI11 reads it from a command line, or nothing when node is not of
// the kind the option takes.
std::optional<std::string> value_text(const toml::node& node, Kind kind) {
  switch (kind) {
    case Kind::boolean:
      if (const auto* value = node.as_boolean()) {
        return value->get() ? "true" : "false";
      }
      return std::nullopt;
    case Kind::integer:
    case Kind::number:
    case Kind::time:
      if (kind == Kind::time) {
        if (const auto* value = node.as_string()) {
          return value->get();
        }
      }
      if (const auto* value = node.as_integer()) {
        return fmt::format("{}", value->get());
      }
      if (const auto* value = node.as_floating_point(); value != nullptr && kind != Kind::integer) {
        return fmt::format("{}", value->get());
      }
      return std::nullopt;
    case Kind::string:
      if (const auto* value = node.as_string()) {
        return value->get();
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += i + 1 == names.size() ? " and " : ", ";
    }
    out += names[i];
  }
  return out;
}

// Options that a file may set: named, long options other than --config, --help and --version.
bool settable(const CLI::App& owner, const CLI::Option& opt) {
  return !opt.get_positional() && opt.get_configurable() && &opt != owner.get_help_ptr() &&
         &opt != owner.get_help_all_ptr() && &opt != owner.get_version_ptr() &&
         &opt != owner.get_config_ptr();
}

// The option of owner whose long name (or argument name) is name.
CLI::Option* find_option(CLI::App& owner, std::string_view name) {
  for (CLI::Option* opt : owner.get_options()) {
    const auto& longs = opt->get_lnames();
    if (std::find(longs.begin(), longs.end(), name) != longs.end() ||
        (opt->get_positional() && opt->get_name() == name)) {
      return opt;
    }
  }
  return nullptr;
}

// The option of owner with the one-letter name, to suggest its long name.
const CLI::Option* find_short(CLI::App& owner, std::string_view name) {
  for (const CLI::Option* opt : owner.get_options()) {
    const auto& shorts = opt->get_snames();
    if (std::find(shorts.begin(), shorts.end(), name) != shorts.end() &&
        !opt->get_lnames().empty()) {
      return opt;
    }
  }
  return nullptr;
}

std::vector<std::string> settable_names(CLI::App& owner) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : owner.get_options()) {
    if (settable(owner, *opt)) {
      names.insert(names.end(), opt->get_lnames().begin(), opt->get_lnames().end());
    }
  }
  return names;
}

std::vector<CLI::App*> sections(CLI::App& app) {
  return app.get_subcommands([](CLI::App* sub) { return !sub->get_name().empty(); });
}

std::vector<std::string> section_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : sections(app)) {
    names.push_back(sub->get_name());
  }
  return names;
}

// One key = value of the file, in a section (owner is the subcommand) or at the top (owner is
// the application), or a table at the top that names no section (owner is null).
struct Entry {
  const toml::key* key;
  const toml::node* value;
  CLI::App* owner;
  std::string section;  // "serve", or empty at the top
};

toml::source_position position(const Entry& entry) {
  const toml::source_position begin = entry.key->source().begin;
  return begin.line != 0 ? begin : entry.value->source().begin;
}

// Applies a parsed file to the options of app, in the order of the file; the first problem is
// thrown as a ConfigFileError naming the file, line and key.
class Applier {
 public:
  Applier(CLI::App& app, std::string path) : app_(app), path_(std::move(path)) {}

  void apply(const toml::table& root) {
    std::vector<Entry> entries;
    for (const auto& [key, value] : root) {
      CLI::App* section = nullptr;
      for (CLI::App* sub : sections(app_)) {
        if (sub->get_name() == key.str()) {
          section = sub;
        }
      }
      if (section == nullptr) {
        // A table that names no section is reported as one; other keys are global settings.
        entries.push_back(
            {&key,
             &value,
             value.is_table() && find_option(app_, key.str()) == nullptr ? nullptr : &app_,
             {}});
        continue;
      }
      const toml::table* table = value.as_table();
      if (table == nullptr) {
        fail(Entry{&key, &value, &app_, {}},
             fmt::format("'{}' is a section, not a setting: write [{}] with its settings on "
                         "the lines below",
                         printable(key.str()), printable(key.str())));
      }
      for (const auto& [sub_key, sub_value] : *table) {
        entries.push_back({&sub_key, &sub_value, section, std::string(key.str())});
      }
    }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      const auto pa = position(a);
      const auto pb = position(b);
      return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    for (const Entry& entry : entries) {
      apply(entry);
    }
  }

 private:
  [[noreturn]] void fail(const Entry& entry, std::string_view what) const {
    throw ConfigFileError(fmt::format("{}:{}: {}", path_, position(entry).line, what));
  }

  // "'port' in [serve]" or "'verbose'".
  static std::string describe(const Entry& entry) {
    const std::string key = printable(entry.key->str());
    return entry.section.empty() ? fmt::format("'{}'", key)
                                 : fmt::format("'{}' in [{}]", key, printable(entry.section));
  }

  void unknown_section(const Entry& entry) const {
    const std::string name = printable(entry.key->str());
    const auto suggestion = closest_match(entry.key->str(), section_names(app_));
    fail(entry, fmt::format("unknown section [{}]{}; the sections are {}", name,
                            suggestion ? fmt::format(" (did you mean [{}]?)", *suggestion) : "",
                            join_names(section_names(app_))));
  }

  void unknown_setting(const Entry& entry) const {
    const std::string_view name = entry.key->str();
    const std::string described = describe(entry);
    if (entry.owner == &app_) {
      // An option of a subcommand at the top: say which section it belongs in.
      std::vector<std::string> homes;
      for (CLI::App* sub : sections(app_)) {
        if (const CLI::Option* opt = find_option(*sub, name); opt && settable(*sub, *opt)) {
          homes.push_back(fmt::format("[{}]", sub->get_name()));
        }
      }
      if (!homes.empty()) {
        fail(entry, fmt::format("unknown setting {} at the top: it is an option of {}, so it "
                                "goes in {}",
                                described, join_names(homes),
                                homes.size() == 1 ? "that section" : "those sections"));
      }
    } else if (const CLI::Option* global = find_option(app_, name);
               global != nullptr && settable(app_, *global)) {
      fail(entry, fmt::format("{} is a global flag: it goes at the top of the file, before any "
                              "section",
                              described));
    }
    std::optional<std::string> suggestion;
    if (const CLI::Option* opt = find_short(*entry.owner, name);
        opt != nullptr && settable(*entry.owner, *opt)) {
      suggestion = opt->get_lnames().front();  // a one-letter name: the file takes long names
    } else {
      suggestion = closest_match(name, settable_names(*entry.owner));
    }
    const std::string hint =
        suggestion ? fmt::format(" (did you mean '{}'?)", printable(*suggestion)) : "";
    if (entry.owner == &app_) {
      fail(entry, fmt::format("unknown setting {}{}: at the top only {} may be set; options of "
                              "a subcommand go in its section, such as [connect]",
                              described, hint, join_names(settable_names(app_))));
    }
    fail(entry, fmt::format("unknown setting {}{}", described, hint));
  }

  void apply(const Entry& entry) {
    if (entry.owner == nullptr) {
      unknown_section(entry);
    }
    CLI::Option* opt = find_option(*entry.owner, entry.key->str());
    if (opt == nullptr) {
      unknown_setting(entry);
    }
    if (opt->get_positional()) {
      fail(entry, fmt::format("{} cannot be set in a configuration file: it is an argument, "
                              "given on the command line",
                              describe(entry)));
    }
    if (!settable(*entry.owner, *opt)) {
      fail(entry, fmt::format("{} cannot be set in a configuration file", describe(entry)));
    }
    const Kind kind = kind_of(*opt);
    const std::optional<std::string> text = value_text(*entry.value, kind);
    if (!text) {
      fail(entry, fmt::format("{} takes {}, not {}", describe(entry), kind_name(kind),
                              toml_type_name(*entry.value)));
    }
    if (const auto* real = entry.value->as_floating_point();
        real != nullptr && !std::isfinite(real->get())) {
      fail(entry,
           fmt::format("bad value for {}: {} is not a finite number", describe(entry), *text));
    }
    if (overridden(*opt)) {
      return;  // the command line wins: the value is not used, so only its type is checked
    }
    check(entry, *opt, *text);
    set(entry, *opt, *text);
  }

  // True when the command line gives opt, or an option that excludes it.
  [[nodiscard]] bool overridden(const CLI::Option& opt) const {
    const auto& excludes = opt.get_excludes();
    return (opt.count() > 0 && !set_by_file_.contains(&opt)) ||
           std::any_of(excludes.begin(), excludes.end(), [this](const CLI::Option* other) {
             return other->count() > 0 && !set_by_file_.contains(other);
           });
  }

  // The option's own checks on a copy of the value: they name no option, so the message can
  // name the file, line and key.
  void check(const Entry& entry, CLI::Option& opt, const std::string& text) const {
    constexpr int kMaxValidators = 64;
    for (int i = 0; i < kMaxValidators; ++i) {
      CLI::Validator* validator = nullptr;
      try {
        validator = opt.get_validator(i);
      } catch (const CLI::OptionNotFound&) {
        break;  // the last one was checked
      }
      std::string copy = text;
      if (const std::string reason = (*validator)(copy); !reason.empty()) {
        // The command line's checks (cli/checks.hpp) start their reason with the value itself.
        const bool names_value = std::string_view(reason).starts_with(text + ": ");
        fail(entry, names_value
                        ? fmt::format("bad value for {}: {}", describe(entry), printable(reason))
                        : fmt::format("bad value for {}: {}: {}", describe(entry), printable(text),
                                      printable(reason)));
      }
    }
  }

  void set(const Entry& entry, CLI::Option& opt, const std::string& text) {
    for (const CLI::Option* other : opt.get_excludes()) {
      if (const auto it = set_by_file_.find(other); it != set_by_file_.end()) {
        fail(entry, fmt::format("{} cannot be set with '{}' (line {})", describe(entry),
                                other->get_lnames().front(), it->second));
      }
    }
    if (opt.get_expected_min() == 0) {
      // A flag: false leaves it off, as every flag is by default.
      if (text == "true") {
        opt.add_result(opt.get_flag_value(std::string(entry.key->str()), text));
        set_by_file_.emplace(&opt, position(entry).line);
      }
      return;
    }
    try {
      opt.add_result(text);
      opt.run_callback();
    } catch (const CLI::ParseError&) {
      // The checks passed, so the value does not fit the option's type: out of range.
      fail(entry,
           fmt::format("bad value for {}: {} is out of range", describe(entry), printable(text)));
    }
    set_by_file_.emplace(&opt, position(entry).line);
  }

  CLI::App& app_;
  std::string path_;
  std::map<const CLI::Option*, std::size_t> set_by_file_;  // with the line that set it
};

// Reads the file with toml++, at most kMaxConfigBytes (a huge file or /dev/zero is refused
// instead of being read into memory), and applies it to the options itself: CLI11 gets no
// items to apply, so every error is thrown here with the file, line and key.
class TomlConfig : public CLI::Config {
 public:
  explicit TomlConfig(CLI::App& app) : app_(app) {}

  std::string to_config(const CLI::App* /*app*/, bool /*default_also*/, bool /*write_description*/,
                        std::string /*prefix*/) const override {
    return {};  // cryptochat never writes a configuration file
  }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    const std::string path = printable(config_path(app_));
    std::string text(kMaxConfigBytes + 1, '\0');
    input.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(input.gcount()));
    if (text.size() > kMaxConfigBytes) {
      throw ConfigFileError(fmt::format("{}: it is larger than {} KiB: is it a configuration file?",
                                        path, kMaxConfigBytes / 1024));
    }
    if (input.bad()) {
      throw ConfigFileError(fmt::format("{}: cannot read it", path));
    }
    if (text.find('\0') != std::string::npos) {
      throw ConfigFileError(
          fmt::format("{}: it holds NUL bytes: is it a configuration file?", path));
    }
    toml::table root;
    try {
      root = toml::parse(text);
    } catch (const toml::parse_error& e) {
      throw ConfigFileError(fmt::format("{}:{}: not valid TOML: {}", path, e.source().begin.line,
                                        printable(e.description())));
    }
    Applier(app_, path).apply(root);
    return {};
  }

 private:
  CLI::App& app_;
};

// Why path cannot be read as a file.
std::string unreadable_reason(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) {
    return "no such file";
  }
  if (std::filesystem::is_directory(status)) {
    return "it is a folder, not a file";
  }
  return "it cannot be opened";
}

// Run by CLI11 on --config's value (and the default) before it opens the file: the file decides
// what the program trusts (known_hosts, authorized keys, keys), so it is held to
// FileRule::trusted, and a FIFO in its place is refused instead of blocking the open. A file
// that is missing or a folder is left to the messages below.
std::string check_config_file(std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
    return {};  // missing, unreachable or a folder: said by unreadable_reason
  }
  try {
    // The size is bounded by from_config, which says so in its own words.
    check_file(path, std::numeric_limits<std::size_t>::max(), "configuration file",
               FileRule::trusted);
  } catch (const IoError& e) {
    throw ConfigFileError(printable(e.what()));
  }
  return {};
}

}  // namespace

void add_config_option(CLI::App& app, std::span<char* const> args) {
  app.config_formatter(std::make_shared<TomlConfig>(app));
  app.allow_config_extras(CLI::config_extras_mode::error);
  // Help and the version do not read the default file: a broken file must not hide the help
  // that says how to fix it.
  const bool help_or_version = std::any_of(args.begin(), args.end(), [](const char* arg) {
    const std::string_view word(arg);
    return word == "-h" || word == "--help" || word == "-V" || word == "--version";
  });
  const std::string default_path = help_or_version ? std::string() : default_config_path();
  // CLI11 skips a default file it cannot open (or a folder in its place) without a word: once
  // parsed, a default file that exists but was not read is an error. A read default file
  // counts as --config's value by then.
  app.parse_complete_callback([&app, default_path] {
    const CLI::Option* opt = app.get_config_ptr();
    std::error_code error;
    if (opt != nullptr && opt->count() == 0 && !default_path.empty() &&
        std::filesystem::exists(default_path, error)) {
      throw ConfigFileError(fmt::format("cannot read the configuration file {}: {}",
                                        printable(default_path), unreadable_reason(default_path)));
    }
  });
  app.set_config("--config", default_path,
                 "Read option defaults from this TOML file [default: "
                 "$XDG_CONFIG_HOME/cryptochat/config.toml, if it exists]")
      ->type_name("FILE")
      ->check(CLI::Validator(check_config_file, ""));
}

std::optional<std::string> config_error_message(const CLI::App& app, const CLI::ParseError& e,
                                                std::span<char* const> /*args*/) {
  if (dynamic_cast<const ConfigFileError*>(&e) != nullptr) {
    return e.what();
  }
  if (dynamic_cast<const CLI::FileError*>(&e) != nullptr) {
    const std::string path = config_path(app);
    return fmt::format("cannot read the configuration file {}: {}", printable(path),
                       unreadable_reason(path));
  }
  return std::nullopt;
}

}  // namespace cryptochat::cli
