#!/bin/sh
# The redis stand-in's entrypoint (docs/operations/images.md). Like the official image: options
# alone mean redis-server, and protected mode is off, since the container's network is the
# boundary (Debian's build keeps it on, which refuses every client from another address).
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
exec "$@"
