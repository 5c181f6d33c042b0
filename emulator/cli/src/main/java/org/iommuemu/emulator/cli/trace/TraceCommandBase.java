package org.iommuemu.emulator.cli.trace;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.cli.ExitCodes;
import org.iommuemu.emulator.config.Printable;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceSummary;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the {@code trace} subcommands share: output streams, the summary line on stderr, the exit codes and the
 * progress option. See {@link TraceCommand} for the conventions.
 */
abstract class TraceCommandBase implements Callable<Integer>
{
    /** Exit code: done. */
    static final int OK = 0;
    /** Exit code: the trace is bad (stop mode) or could not be read or written. */
    static final int BAD_TRACE = 1;

    @Spec
    CommandSpec spec;

    @Option(names = "--progress", negatable = true,
        description = "Show progress on stderr during long runs. Default: on when a console is attached.")
    Boolean progress;

    final PrintWriter out()
    {
        return spec.commandLine().getOut();
    }

    final PrintWriter err()
    {
        return spec.commandLine().getErr();
    }

    final Progress newProgress(final String label, final long totalBytes)
    {
        final boolean enabled = null != progress ? progress : null != System.console();
        return new Progress(err(), enabled, label, totalBytes);
    }

    /** Prints the always-present summary line to stderr. */
    final void printSummary(final Path path, final TraceSummary summary, final String extra)
    {
        final PrintWriter err = err();
        err.println(Printable.controls("trace " + spec.name() + " " + path + ": " + summary + (null == extra ? "" : extra)));
        err.flush();
    }

    /** Prints a bad-trace error (the message names file, record index, byte offset and reason). */
    final int badTrace(final TraceFormatException ex)
    {
        err().println(spec.commandLine().getColorScheme().errorText("iommu-emu: " + Printable.controls(ex.getMessage())));
        err().flush();
        return BAD_TRACE;
    }

    /** Prints an I/O error. */
    final int ioError(final Path path, final IOException ex)
    {
        final String described = ExitCodes.describe(ex);
        err().println(spec.commandLine().getColorScheme().errorText(
            "iommu-emu: " + (described.startsWith(path.toString()) ? described : path + ": " + described)));
        err().flush();
        return BAD_TRACE;
    }

    /** @return "ns", "ps" or "us", or "e-N s". */
    static String unit(final int exponent)
    {
        switch (exponent)
        {
            case 6:
                return "us";
            case 9:
                return "ns";
            case 12:
                return "ps";
            default:
                return "e-" + exponent + "s";
        }
    }
}
