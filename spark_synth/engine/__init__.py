"""Engines: what reads a compiled plan (spark_synth/plan/) and makes its rows on Spark.

Today one engine, the JVM's (jvm/: a Spark DataSource V2 in Java that fills columnar batches);
run.py hands it the scans of a request. Every engine must reproduce the rows docs/plan.md
defines, bit for bit, from the plan alone.
"""
