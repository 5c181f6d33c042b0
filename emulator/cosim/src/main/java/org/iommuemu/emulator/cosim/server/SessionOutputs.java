package org.iommuemu.emulator.cosim.server;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * What every session writes about its requests besides its statistics ({@code serve --results FOLDER} and
 * {@code --log KIND}, docs/qemu.md 1): into one folder, one file per session and kind, named by the session's number:
 * {@code session-N.csv} (every request the session carried out, ATS_REQ and IE_TLP alike, in the replay's CSV columns,
 * docs/replay.md; {@code session-N.bin} in replay's binary format with {@code binary}), {@code session-N.qemu.log} (QEMU's trace events) and {@code session-N.dmesg.log} (the kernel's
 * fault messages; only for a platform the scenario sets up, whose event log no guest driver reads).
 *
 * @param folder   where the files go (created by the caller); null: nothing is written.
 * @param qemuLog  write {@code session-N.qemu.log}.
 * @param dmesgLog write {@code session-N.dmesg.log}.
 * @param binary   the results in replay's binary format ({@code session-N.bin}) rather than CSV.
 */
public record SessionOutputs(Path folder, boolean qemuLog, boolean dmesgLog, boolean binary)
{
    /** Nothing written. */
    public static final SessionOutputs NONE = new SessionOutputs(null, false, false, false);

    /** The names of the files these outputs may write, for the check that no input is one of them. */
    public static final Pattern FILE_NAMES = Pattern.compile("session-[0-9]+\\.(csv|bin|qemu\\.log|dmesg\\.log)");

    public SessionOutputs
    {
        if (folder == null && (qemuLog || dmesgLog))
        {
            throw new IllegalArgumentException("a log needs the folder of the results");
        }
    }

    public boolean any()
    {
        return folder != null;
    }

    /** Session {@code number}'s results. */
    public Path results(final int number)
    {
        return folder.resolve("session-" + number + (binary ? ".bin" : ".csv"));
    }

    /** Session {@code number}'s log of {@code kind} (qemu or dmesg). */
    public Path log(final int number, final String kind)
    {
        return folder.resolve("session-" + number + "." + kind + ".log");
    }
}
