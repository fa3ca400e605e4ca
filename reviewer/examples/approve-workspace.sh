#!/bin/sh
# Example warden reviewer ([warden] reviewer_command = ["/path/to/approve-workspace.sh"]).
# Approves a file_write request whose path lies inside the request's workspace; denies everything
# else. Reads the request JSON on stdin and prints one decision JSON.
#
# No jq, so the JSON is read with pattern matching. That is sound here because warden writes the
# request on one line, in a fixed order, with every quote inside a string value escaped: before
# "arguments" (the first field that may hold an object) the first `"key":"` is the top-level key.
# A value with an escape in it is not decoded but denied.

request=$(cat)
request=${request%%'"arguments":'*}

answer() {  # decision risk reason
  printf '{"decision":"%s","risk":"%s","reason":"%s","rule":"approve-workspace"}\n' "$1" "$2" "$3"
  exit 0
}

# The string value of top-level key $1, or empty when absent, null or not a string.
field() {
  case $request in
    *"\"$1\":\""*) ;;
    *) return 0 ;;
  esac
  value=${request#*"\"$1\":\""}
  printf '%s' "${value%%\"*}"
}

kind=$(field kind)
path=$(field path)
workspace=$(field workspace)

[ "$kind" = file_write ] || answer deny medium "only file writes inside the workspace are approved"
if [ -z "$path" ] || [ -z "$workspace" ]; then answer deny medium "no path or no workspace"; fi
case $path$workspace in
  *\\*) answer deny medium "path or workspace has escaped characters" ;;
esac
case $path in
  /*) ;;
  *) answer deny medium "path is not absolute" ;;
esac
case /$path/ in
  */../* | */./*) answer deny high "path has . or .. components" ;;
esac
workspace=${workspace%/}
case $path in
  "$workspace"/?*) answer approve low "write inside the workspace" ;;
esac
answer deny medium "write outside the workspace"
