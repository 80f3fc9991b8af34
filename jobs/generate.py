"""spark-submit entry point: `spark-submit jobs/generate.py --model M.json --rows N --seed S --output P`.

Same arguments as `spark-synth generate`; the master comes from spark-submit.
"""

import sys

from spark_synth.cli import main

if __name__ == "__main__":
    sys.exit(main(["generate", *sys.argv[1:]]))
