package org.sparksynth.engine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Data source "spark_synth_ops": the few file-system steps of spark_synth's staged output, done
 * by the Spark driver through Hadoop's FileSystem (any scheme the cluster has), so that a client
 * without a JVM (Spark Connect) can publish output as safely as a classic session.
 *
 * <p>spark.read.format("spark_synth_ops").option("op", OP).option(...).load() gives one
 * row with one string column "result" (null where said). The step runs once, on the driver, when the scan is
 * planned; every step is idempotent, so running it twice changes nothing. Ops:
 * <ul>
 *   <li>version: this jar's Spark line and the running Spark ("built running");</li>
 *   <li>status (path): "missing", "file" or "dir";</li>
 *   <li>list (path): the names in a directory, one per line;</li>
 *   <li>read_text (path): a small file's UTF-8 text, null if it is not a file;</li>
 *   <li>check_writable (path): "" or why output cannot go there (an ancestor that is a file, a
 *       parent that cannot be created);</li>
 *   <li>write_text (path, text): the file, overwritten;</li>
 *   <li>delete (path): recursive; "true" if something was deleted;</li>
 *   <li>publish (staging, target, backup): moves an old target aside to backup, the finished
 *       staging directory into target, deletes backup; "" or the failure. No move goes into an
 *       existing directory: a target that appears meanwhile fails the publish. Re-running after
 *       success finds no staging directory and a target, and reports success.</li>
 *   <li>move (path, target): path to target unless target exists ("" or "exists"), never into it;</li>
 *   <li>lease_acquire (path, holder, stale_ms), lease_heartbeat (path, run), lease_release (path,
 *       run): one run per target (see Leases).</li>
 * </ul>
 */
public final class ServerOps implements TableProvider, DataSourceRegister {
    private static final StructType SCHEMA = new StructType().add("result", DataTypes.StringType, true);

    @Override
    public String shortName() {
        return "spark_synth_ops";
    }

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        return SCHEMA;
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        CaseInsensitiveStringMap options = new CaseInsensitiveStringMap(properties);
        return new OpsTable(options);
    }

    /**
     * Answers by request id: Spark may plan a scan twice, and a step such as a lease takeover must
     * run once and give the same answer to both (the client sends a fresh "request" per step).
     */
    private static final Map<String, java.util.Optional<String>> ANSWERS = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<String, java.util.Optional<String>>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, java.util.Optional<String>> eldest) {
                    return size() > 1024;
                }
            });

    /** Runs one step on the driver, once per request id (see the class comment). */
    static String run(CaseInsensitiveStringMap options) {
        String request = options.get("request");
        if (request == null) {
            return runOnce(options);
        }
        synchronized (ANSWERS) {
            java.util.Optional<String> known = ANSWERS.get(request);
            if (known != null) {
                return known.orElse(null);
            }
            String answer = runOnce(options);
            ANSWERS.put(request, java.util.Optional.ofNullable(answer));
            return answer;
        }
    }

    private static String runOnce(CaseInsensitiveStringMap options) {
        String op = SynthDataSource.required(options, "op");
        try {
            switch (op) {
                case "version":
                    return EngineInfo.builtForSpark() + " " + org.apache.spark.package$.MODULE$.SPARK_VERSION();
                case "status": {
                    Path path = path(options, "path");
                    FileSystem fs = fs(path);
                    return !fs.exists(path) ? "missing" : fs.getFileStatus(path).isFile() ? "file" : "dir";
                }
                case "list": {
                    Path path = path(options, "path");
                    StringBuilder names = new StringBuilder();
                    for (org.apache.hadoop.fs.FileStatus status : fs(path).listStatus(path)) {
                        names.append(names.length() == 0 ? "" : "\n").append(status.getPath().getName());
                    }
                    return names.toString();
                }
                case "read_text": {
                    Path path = path(options, "path");
                    FileSystem fs = fs(path);
                    if (!fs.isFile(path)) {
                        return null;
                    }
                    try (java.io.InputStream in = fs.open(path)) {
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                }
                case "check_writable":
                    return checkWritable(path(options, "path"));
                case "write_text": {
                    Path path = path(options, "path");
                    byte[] text = SynthDataSource.required(options, "text").getBytes(StandardCharsets.UTF_8);
                    try (OutputStream out = fs(path).create(path, true)) {
                        out.write(text);
                    }
                    return "";
                }
                case "delete": {
                    Path path = path(options, "path");
                    return Boolean.toString(fs(path).delete(path, true));
                }
                case "publish":
                    return publish(path(options, "staging"), path(options, "target"), path(options, "backup"));
                case "move": {
                    Path src = path(options, "path");
                    Path dst = path(options, "target");
                    if (!fs(src).exists(src) && fs(dst).exists(dst)) {
                        return "";  // moved by an earlier run of this step (a scan may be planned twice)
                    }
                    return move(src, src, dst) ? "" : "exists";
                }
                case "lease_acquire":
                    return Leases.acquire(path(options, "path"), SynthDataSource.required(options, "holder"),
                            Long.parseLong(SynthDataSource.required(options, "stale_ms")));
                case "lease_heartbeat":
                    return Leases.heartbeat(path(options, "path"), SynthDataSource.required(options, "run"));
                case "lease_release":
                    return Leases.release(path(options, "path"), SynthDataSource.required(options, "run"));
                default:
                    throw new IllegalArgumentException("spark_synth_ops: unknown op '" + op + "'");
            }
        } catch (IOException e) {
            throw new IllegalStateException("spark_synth_ops " + op + ": " + e, e);
        }
    }

    private static Path path(CaseInsensitiveStringMap options, String key) {
        return new Path(SynthDataSource.required(options, key));
    }

    static FileSystem fs(Path path) throws IOException {
        Configuration conf = SparkSession.active().sessionState().newHadoopConf();
        return path.getFileSystem(conf);
    }

    private static String checkWritable(Path target) throws IOException {
        FileSystem fs = fs(target);
        Path parent = target.getParent();
        if (parent == null) {
            return "";
        }
        Path ancestor = parent;
        while (ancestor != null && !fs.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor != null && fs.getFileStatus(ancestor).isFile()) {
            return ancestor + " is a file, not a directory; choose an output path inside a directory";
        }
        Path probe = new Path(parent, ".spark_synth-probe-" + java.util.UUID.randomUUID().toString().substring(0, 12));
        try {
            if (!fs.mkdirs(probe)) {
                return "creating directories under " + parent + " failed; check that it is writable";
            }
            fs.delete(probe, true);
        } catch (IOException | RuntimeException e) {
            return e.toString().split("\n")[0] + "; check that the directory is writable";
        }
        return "";
    }

    private static String publish(Path staging, Path target, Path backup) throws IOException {
        FileSystem fs = fs(target);
        if (!fs.exists(staging)) {
            return fs.exists(target) ? "" : "the finished output " + staging + " is missing; nothing was published";
        }
        boolean hadOld = fs.exists(target);
        if (hadOld && !move(staging, target, backup)) {
            return "could not move the old output " + target + " aside; nothing was changed (the new output is in "
                    + staging + ")";
        }
        if (!move(staging, staging, target)) {
            if (hadOld) {
                move(staging, backup, target);
            }
            return "could not move the finished output into " + target + " (another run published it meanwhile?); "
                    + "it is left in " + staging;
        }
        if (hadOld) {
            fs.delete(backup, true);
        }
        return "";
    }

    /**
     * src to dst, never into an existing dst (FileSystem.rename onto a directory nests src inside
     * it): FileContext's rename without OVERWRITE where the scheme has one, else a check first.
     */
    private static boolean move(Path context, Path src, Path dst) throws IOException {
        try {
            Leases.renameNoReplace(src, dst);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException exists) {
            return false;
        } catch (org.apache.hadoop.fs.UnsupportedFileSystemException noContext) {
            FileSystem fs = fs(context);
            return !fs.exists(dst) && fs.rename(src, dst);
        }
    }

    private static final class OpsTable implements SupportsRead {
        private final CaseInsensitiveStringMap options;

        OpsTable(CaseInsensitiveStringMap options) {
            this.options = options;
        }

        @Override
        public String name() {
            return "spark_synth_ops";
        }

        @Override
        public StructType schema() {
            return SCHEMA;
        }

        @Override
        public Set<TableCapability> capabilities() {
            return EnumSet.of(TableCapability.BATCH_READ);
        }

        @Override
        public ScanBuilder newScanBuilder(CaseInsensitiveStringMap scanOptions) {
            return () -> new OpsScan(options);
        }
    }

    /** The step runs in planInputPartitions (driver, once per execution); its result rides in the partition. */
    private static final class OpsScan implements Scan, Batch {
        private final CaseInsensitiveStringMap options;

        OpsScan(CaseInsensitiveStringMap options) {
            this.options = options;
        }

        @Override
        public StructType readSchema() {
            return SCHEMA;
        }

        @Override
        public Batch toBatch() {
            return this;
        }

        @Override
        public InputPartition[] planInputPartitions() {
            return new InputPartition[] {new Result(run(options))};
        }

        @Override
        public PartitionReaderFactory createReaderFactory() {
            return new ResultReaderFactory();
        }
    }

    record Result(String value) implements InputPartition {}

    private static final class ResultReaderFactory implements PartitionReaderFactory {
        private static final long serialVersionUID = 1L;

        @Override
        public PartitionReader<InternalRow> createReader(InputPartition partition) {
            String value = ((Result) partition).value();
            return new PartitionReader<>() {
                private boolean done;

                @Override
                public boolean next() {
                    if (done) {
                        return false;
                    }
                    done = true;
                    return true;
                }

                @Override
                public InternalRow get() {
                    return new GenericInternalRow(new Object[] {value == null ? null : UTF8String.fromString(value)});
                }

                @Override
                public void close() {}
            };
        }
    }
}
