// Where cryptochat keeps its files: $XDG_CONFIG_HOME/cryptochat, or ~/.config/cryptochat.
#pragma once

#include <string>

namespace cryptochat {

std::string config_dir();
std::string default_identity_path();

}  // namespace cryptochat
