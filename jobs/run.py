"""spark-submit entry point for scheduled generation: same arguments as `spark-synth run`."""

import sys

from spark_synth.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
