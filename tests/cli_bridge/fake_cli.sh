#!/bin/sh
# A stand-in for the gemini, claude and codex CLIs (installed under those
# names in a temporary folder on PATH). It reads the prompt from stdin like
# the real ones; the prompt's first line picks what it does:
#   sleep N         sleep N seconds, then answer
#   fail N          print to stderr and exit with status N
#   forever         print lines until killed
#   grandchild F    start a background sleeper, write its pid to file F,
#                   then sleep 60 (the bridge must end both)
#   anything else   answer at once
# The answer: the program's name, each argument, the values of
# CLI_PROXY_API_KEY and PROXY_KEY (the proxy must not pass its key on), the
# byte count of stdin, and stdin itself when under 64 KB.
name=$(basename "$0")
if [ "$1" = "--version" ]; then
  echo "$name-fake 1.2.3"
  exit 0
fi
tmp=$(mktemp) || exit 90
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
[ -n "$FAKE_CLI_LOG" ] && echo "$name $*" >> "$FAKE_CLI_LOG"
first=$(head -n 1 "$tmp")
case "$first" in
  "sleep "*) sleep "${first#sleep }" ;;
  "fail "*) echo "failing on purpose" >&2; exit "${first#fail }" ;;
  forever) while :; do echo "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"; done ;;
  "grandchild "*)
    sleep 60 &
    echo $! > "${first#grandchild }"
    sleep 60
    ;;
esac
printf 'cli=%s\n' "$name"
for a in "$@"; do printf 'arg=[%s]\n' "$a"; done
printf 'key=[%s]\n' "${CLI_PROXY_API_KEY:-}${PROXY_KEY:-}"
size=$(wc -c < "$tmp")
printf 'bytes=%s\n' "$size"
if [ "$size" -le 65536 ]; then
  printf 'stdin=['
  cat "$tmp"
  printf ']\n'
fi
