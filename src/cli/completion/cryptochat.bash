# bash completion for cryptochat                                  -*- shell-script -*-
#
# Mirrors the options defined in src/cli/*.cpp; the test `completion` (tests/check_completion.py)
# fails when a long option of some --help is missing here.
# Installed to $datadir/bash-completion/completions/cryptochat, where bash-completion loads it on
# first use; without bash-completion, `source` it from ~/.bashrc.

_cryptochat_files()
{
    if declare -F _filedir >/dev/null; then
        _filedir
    else
        local IFS=$'\n'
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
    fi
}

# HOST:PORT addresses already in known_hosts (hashed lines, |1|..., name nobody).
_cryptochat_known_hosts()
{
    local dir=${XDG_CONFIG_HOME:-$HOME/.config}
    [[ $dir == /* ]] || dir=$HOME/.config
    local file=$dir/cryptochat/known_hosts
    [[ -r $file ]] || return
    local hosts
    hosts=$(awk '$1 !~ /^[#|]/ && NF >= 2 { print $1 }' "$file" 2>/dev/null)
    COMPREPLY=($(compgen -W "$hosts" -- "$cur"))
    if declare -F __ltrim_colon_completions >/dev/null; then
        __ltrim_colon_completions "$cur"
    fi
}

_cryptochat()
{
    local cur prev words cword split
    if declare -F _init_completion >/dev/null; then
        _init_completion -s -n : || return # -s: "--key=FILE" completes FILE after --key
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
        # bash splits "--key=FILE" at the '=' into "--key" "=" "FILE".
        if [[ $prev == = ]] && ((cword >= 2)); then
            prev=${words[cword - 2]}
        elif [[ $cur == = ]]; then
            cur=""
        fi
    fi

    local global_opts="--help -h --version -V --verbose -v --quiet -q --config"
    local identity_opts="--key -k --name -n --passphrase-file"

    # The subcommand: the first word that is not an option or the value of --config.
    local sub="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            keygen | serve | connect | known-hosts)
                sub=${words[i]}
                break
                ;;
        esac
    done

    # The value of an option.
    case $prev in
        --config | --key | -k | --passphrase-file | --out | -o | --authorized-keys)
            _cryptochat_files
            return
            ;;
        --name | -n | --port | -p | --peer-fingerprint | --*-timeout | --max-*)
            return # free text or a number
            ;;
        --format)
            COMPREPLY=($(compgen -W "auto raw lines json" -- "$cur"))
            return
            ;;
        --bits | -b)
            # -b is keygen's --bits only (serve's --bind has no short form)
            COMPREPLY=($(compgen -W "2048 3072 4096" -- "$cur"))
            return
            ;;
        --bind)
            return
            ;;
    esac

    local opts
    case $sub in
        "")
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "keygen serve connect known-hosts" -- "$cur"))
            fi
            return
            ;;
        keygen)
            opts="--out -o --bits -b --force -f --passphrase-file --show --ssh"
            ;;
        serve)
            opts="--port -p --bind --once --authorized-keys --handshake-timeout
                  --hello-timeout --max-handshakes --max-handshakes-per-source --max-clients --idle-timeout --end-timeout --format --progress
                  --no-color $identity_opts"
            ;;
        connect)
            opts="--peer-fingerprint --strict --hash-known-hosts --connect-timeout --end-timeout --format
                  --progress --no-color $identity_opts"
            ;;
        known-hosts)
            # known-hosts list|remove [HOST:PORT], known-hosts hash
            local action=""
            for ((i = i + 1; i < cword; i++)); do
                case ${words[i]} in
                    list | remove | hash)
                        action=${words[i]}
                        break
                        ;;
                esac
            done
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
            elif [[ -z $action ]]; then
                COMPREPLY=($(compgen -W "hash list remove" -- "$cur"))
            elif [[ $action != hash ]]; then
                _cryptochat_known_hosts
            fi
            return
            ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $global_opts" -- "$cur"))
    elif [[ $sub == keygen ]]; then
        _cryptochat_files # keygen --show PATH
    elif [[ $sub == connect ]]; then
        _cryptochat_known_hosts
    fi
} &&
    complete -F _cryptochat cryptochat

# ex: filetype=sh
