#!/bin/sh
# Runs dynalite on loopback in the foreground, for trying the scanner or
# running the tests against one long-lived server:
#
#   infra/dynalite.sh 8000 &
#   DYNAMODB_ENDPOINT=http://127.0.0.1:8000 go test ./...
#
# The tests do not need it: internal/dynamo/dynamotest starts its own server.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=${1:-${DYNALITE_PORT:-8000}}
if [ ! -d "$here/node_modules/dynalite" ]; then
	echo "dynalite is not installed: run npm ci --prefix infra" >&2
	exit 1
fi
exec node "$here/dynalite.js" --host 127.0.0.1 --port "$port"
