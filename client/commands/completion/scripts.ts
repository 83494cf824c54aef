/**
 * The completion scripts. Each is a thin shim that hands the words typed so far to
 * `authctl __complete` (./complete.ts) and offers what it prints, so commands, flags and
 * profile names come from the command table and the config, never from a copy here.
 */

/** bash: `eval "$(authctl completion bash)"`. Falls back to file names when authctl offers nothing. */
export const BASH = `# authctl completion for bash: eval "$(authctl completion bash)" in ~/.bashrc
_authctl_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(authctl __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _authctl_complete authctl
`;

/** zsh: a file _authctl on $fpath, or \`source <(authctl completion zsh)\` after compinit. */
export const ZSH = `#compdef authctl
# authctl completion for zsh: authctl completion zsh > "\${fpath[1]}/_authctl"
_authctl() {
  local -a found
  found=(\${(f)"$(authctl __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  if (( \${#found} )); then
    compadd -Q -- "\${(@)found}"
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" == _authctl ]]; then
  _authctl "$@"
else
  compdef _authctl authctl
fi
`;

/** fish: ~/.config/fish/completions/authctl.fish. */
export const FISH = `# authctl completion for fish: authctl completion fish > ~/.config/fish/completions/authctl.fish
function __authctl_complete
    set -l words (commandline -opc) (commandline -ct)
    authctl __complete -- $words[2..-1] 2>/dev/null
end
complete -c authctl -f -a '(__authctl_complete)'
`;
