package org.sparksynth.engine;

import java.io.InputStream;
import java.net.URL;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

/**
 * Which Spark this engine jar was compiled against (its manifest's Spark-Version, written by
 * spark_synth/engine/jvm/build.py), checked against the running Spark before any scan: a jar
 * built for another major line fails with both versions named, not with a linkage error deep
 * in a task.
 */
public final class EngineInfo {
    private EngineInfo() {}

    /** The Spark version in this jar's manifest, or null (classes not loaded from our jar). */
    public static String builtForSpark() {
        try {
            URL location = EngineInfo.class.getProtectionDomain().getCodeSource().getLocation();
            try (InputStream in = location.openStream(); JarInputStream jar = new JarInputStream(in)) {
                Manifest manifest = jar.getManifest();
                return manifest == null ? null : manifest.getMainAttributes().getValue("Spark-Version");
            }
        } catch (Exception e) {
            return null;
        }
    }

    /** Same major line, or Spark 3.5 for a 4.x jar (only APIs both share are used). */
    static boolean loadsInto(String built, String running) {
        return built.split("\\.")[0].equals(running.split("\\.")[0])
                || (built.startsWith("4.") && running.startsWith("3.5."));
    }

    static void checkSparkLine() {
        String built = builtForSpark();
        String running = org.apache.spark.package$.MODULE$.SPARK_VERSION();
        if (built != null && !loadsInto(built, running)) {
            throw new IllegalStateException("spark_synth's engine jar was built for Spark " + built
                    + " and does not run on Spark " + running + "; run it on Spark 3.5 or 4.x, or use an engine jar "
                    + "built for Spark " + running.split("\\.")[0] + ".x");
        }
    }
}
