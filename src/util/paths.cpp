#include "util/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "util/error.hpp"

namespace cryptochat {

namespace {

std::string home_dir() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once at start-up, before any thread exists.
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return home;
  }
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  throw IoError("cannot find the home folder: set HOME or XDG_CONFIG_HOME");
}

}  // namespace

std::string config_dir() {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/cryptochat";
  }
  return home_dir() + "/.config/cryptochat";
}

std::string default_identity_path() {
  return config_dir() + "/identity";
}

}  // namespace cryptochat
