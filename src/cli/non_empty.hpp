// A CLI11 check that refuses an empty value: `--peer-fingerprint "$FP"` with FP unset must be a
// usage error, never the same as leaving the option out (which would skip the check it asks for).
#pragma once

#include <CLI/Validators.hpp>

#include <string>

namespace cryptochat::cli {

inline const CLI::Validator kNonEmpty(
    [](std::string& value) -> std::string { return value.empty() ? "the value is empty" : ""; }, "",
    "NONEMPTY");

}  // namespace cryptochat::cli
