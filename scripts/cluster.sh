#!/usr/bin/env bash
# A Spark standalone cluster on 127.0.0.1 from the pip-installed PySpark: one master and two
# workers (1 core, 2 GB each). Never binds other addresses.
#   bash scripts/cluster.sh start   # prints the master URL, e.g. spark://127.0.0.1:7177
#   bash scripts/cluster.sh stop
# SPARK_SYNTH_CLUSTER_DIR (default out/cluster) holds logs and pids; SPARK_SYNTH_MASTER_PORT
# (default 7177) and SPARK_SYNTH_UI_PORT (default 8180, workers +1, +2) move the ports.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
SPARK_HOME=$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
STATE=${SPARK_SYNTH_CLUSTER_DIR:-out/cluster}
PORT=${SPARK_SYNTH_MASTER_PORT:-7177}
UI=${SPARK_SYNTH_UI_PORT:-8180}
MASTER="spark://127.0.0.1:$PORT"
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 SPARK_MASTER_HOST=127.0.0.1

start() {
  mkdir -p "$STATE"
  nohup "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$PORT" --webui-port "$UI" > "$STATE/master.log" 2>&1 &
  echo $! > "$STATE/master.pid"
  for i in 1 2; do
    mkdir -p "$STATE/work$i"
    nohup "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory 2g --webui-port $((UI + i)) --work-dir "$STATE/work$i" \
      "$MASTER" > "$STATE/worker$i.log" 2>&1 &
    echo $! > "$STATE/worker$i.pid"
  done
  for _ in $(seq 1 120); do
    if [ "$(grep -c 'Registering worker' "$STATE/master.log" 2>/dev/null || true)" -ge 2 ]; then
      echo "$MASTER"
      return 0
    fi
    sleep 0.5
  done
  echo "cluster did not come up; see $STATE/*.log" >&2
  stop
  return 1
}

stop() {
  for name in worker1 worker2 master; do
    if [ -f "$STATE/$name.pid" ]; then
      kill "$(cat "$STATE/$name.pid")" 2>/dev/null || true
      rm -f "$STATE/$name.pid"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
