package org.sparksynth.engine;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.UUID;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * One run per output target: a small lease file beside the target (".NAME.lease") names its
 * holder ("run=", "host=", "pid=", "started=" lines); its modification time is the heartbeat,
 * refreshed by the holder's driver. A lease whose heartbeat is older than the stale limit, or whose
 * file cannot be read as a lease once a short grace has passed (a half-written file is younger),
 * is taken over.
 *
 * <p>Creating a lease is exclusive: a hard link of a complete file on local disks (link(2) fails
 * when the name exists), else Hadoop's FileContext rename without OVERWRITE (atomic on HDFS and
 * ABFS; a check then a copy on S3, where the lease narrows the race to milliseconds but cannot
 * close it). A takeover re-reads the lease after a settle time, so of two runs taking over the
 * same stale lease only the one whose name is in the file goes on.
 */
final class Leases {
    static final long CORRUPT_GRACE_MS = 5_000;
    static final long SETTLE_MS = 300;

    private Leases() {}

    /** "acquired", "taken over\n(reason)" or "held\n(holder lines)age_ms=N". */
    static String acquire(Path lease, String holder, long staleMs) throws IOException {
        FileSystem fs = ServerOps.fs(lease);
        String run = field(holder, "run");
        for (int attempt = 0; attempt < 5; attempt++) {
            if (createExclusive(fs, lease, holder)) {
                return "acquired";
            }
            FileStatus status;
            String content;
            try {
                status = fs.getFileStatus(lease);
                content = read(fs, lease);
            } catch (FileNotFoundException released) {
                continue;
            }
            if (run.equals(field(content, "run"))) {
                return "acquired";
            }
            long age = System.currentTimeMillis() - status.getModificationTime();
            boolean readable = field(content, "run") != null;
            if (readable && age <= staleMs) {
                return "held\n" + content + "age_ms=" + age;
            }
            if (!readable && age <= CORRUPT_GRACE_MS) {
                sleep(SETTLE_MS);  // being written: look again
                continue;
            }
            String reason = readable
                    ? "its holder's last heartbeat was " + age / 1000 + " s ago\n" + content
                    : "the lease file could not be read as a lease (" + content.length() + " bytes)\n";
            fs.delete(lease, false);
            if (createExclusive(fs, lease, holder)) {
                sleep(SETTLE_MS);
                String now = read(fs, lease);
                if (run.equals(field(now, "run"))) {
                    return "taken over\n" + reason;
                }
            }
        }
        FileStatus status = fs.getFileStatus(lease);
        return "held\n" + read(fs, lease) + "age_ms=" + (System.currentTimeMillis() - status.getModificationTime());
    }

    /** Refreshes the heartbeat of a lease `run` holds: "" or "lost\n(holder lines)". */
    static String heartbeat(Path lease, String run) throws IOException {
        FileSystem fs = ServerOps.fs(lease);
        String content;
        try {
            content = read(fs, lease);
        } catch (FileNotFoundException gone) {
            return "lost\n";
        }
        if (!run.equals(field(content, "run"))) {
            return "lost\n" + content;
        }
        fs.setTimes(lease, System.currentTimeMillis(), -1);
        return "";
    }

    /** Deletes the lease if `run` holds it; "true" when deleted. */
    static String release(Path lease, String run) throws IOException {
        FileSystem fs = ServerOps.fs(lease);
        try {
            if (run.equals(field(read(fs, lease), "run"))) {
                return Boolean.toString(fs.delete(lease, false));
            }
        } catch (FileNotFoundException gone) {
            // nothing to release
        }
        return "false";
    }

    /** Moves src to dst only if dst does not exist (never into it, as FileSystem.rename would). */
    static void renameNoReplace(Path src, Path dst) throws IOException {
        FileContext context = FileContext.getFileContext(dst.toUri(), ServerOps.fs(dst).getConf());
        context.rename(src, dst, Options.Rename.NONE);
    }

    private static boolean createExclusive(FileSystem fs, Path lease, String text) throws IOException {
        Path temp = new Path(lease.getParent(), lease.getName() + "." + UUID.randomUUID().toString().substring(0, 12));
        try (OutputStream out = fs.create(temp, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        try {
            if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
                java.io.File target = new java.io.File(lease.toUri().getPath());
                java.io.File source = new java.io.File(temp.toUri().getPath());
                Files.createLink(target.toPath(), source.toPath());
                return true;
            }
            renameNoReplace(temp, lease);
            return true;
        } catch (java.nio.file.FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException taken) {
            return false;
        } finally {
            fs.delete(temp, false);
        }
    }

    private static String read(FileSystem fs, Path path) throws IOException {
        try (java.io.InputStream in = fs.open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The value of a "key=value" line, or null. */
    static String field(String text, String key) {
        for (String line : text.split("\n")) {
            if (line.startsWith(key + "=")) {
                return line.substring(key.length() + 1);
            }
        }
        return null;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
