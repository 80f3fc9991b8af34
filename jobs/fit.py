"""spark-submit entry point: `spark-submit jobs/fit.py INPUT --model M.json [...]`.

Same arguments as `spark-synth fit`; the master comes from spark-submit.
"""

import sys

from spark_synth.cli import main

if __name__ == "__main__":
    sys.exit(main(["fit", *sys.argv[1:]]))
