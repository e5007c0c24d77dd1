#!/usr/bin/env bash
# K Streamlit replicas on 127.0.0.1:8601.. behind nginx (deploy/nginx.conf, cookie affinity) on :8080.
# Usage: deploy/replicas.sh [K=2]     env: PORT=8080 BASE_PORT=8601 PYTHON=.venv/bin/python NGINX=nginx
# Ctrl-C (or SIGTERM) stops the replicas and nginx and removes the temp prefix (logs, cache).
set -euo pipefail
K=${1:-2}; PORT=${PORT:-8080}; BASE=${BASE_PORT:-8601}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}; NGINX=${NGINX:-nginx}
PREFIX=$(mktemp -d /tmp/dllab-nginx.XXXXXX); chmod 755 "$PREFIX"   # nginx workers (nobody) must enter it
pids=()
cleanup() { trap - EXIT INT TERM; kill "${pids[@]}" 2>/dev/null || true; wait || true; rm -rf "$PREFIX"; }
trap cleanup EXIT INT TERM

# The config with one `server` line per replica and our listen port.
SERVERS=$(for ((i = 0; i < K; i++)); do echo "        server 127.0.0.1:$((BASE + i)) max_fails=2 fail_timeout=10s;"; done)
SERVERS=$SERVERS awk '/# replicas:begin/ {print; print ENVIRON["SERVERS"]; skip = 1; next}
                      /# replicas:end/ {skip = 0} !skip' "$ROOT/deploy/nginx.conf" \
    | sed "s/listen 8080;/listen $PORT;/" > "$PREFIX/nginx.conf"
"$NGINX" -t -q -c "$PREFIX/nginx.conf" -p "$PREFIX/" -e stderr

for ((i = 0; i < K; i++)); do
    port=$((BASE + i))
    (cd "$ROOT" && exec "$PY" -m streamlit run streamlit_app.py --server.headless=true \
        --server.port="$port" --server.address=127.0.0.1 >"$PREFIX/replica-$port.log" 2>&1) &
    pids+=($!)
done
"$NGINX" -c "$PREFIX/nginx.conf" -p "$PREFIX/" -e stderr -g 'daemon off;' &
pids+=($!)

health() { for _ in $(seq 120); do curl -fs "$1/_stcore/health" >/dev/null && return 0; sleep 0.5; done
           echo "no health at $1 (logs: $PREFIX)" >&2; return 1; }
for ((i = 0; i < K; i++)); do health "http://127.0.0.1:$((BASE + i))"; done
health "http://127.0.0.1:$PORT"
echo "DL Live Lab: http://127.0.0.1:$PORT  ($K replicas on :$BASE..:$((BASE + K - 1)); access log $PREFIX/access.log)"
wait
