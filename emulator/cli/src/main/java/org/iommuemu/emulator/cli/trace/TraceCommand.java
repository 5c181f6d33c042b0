package org.iommuemu.emulator.cli.trace;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code trace}: the PCIe TLP trace tools ({@code dump}, {@code convert}, {@code stats}, {@code gen}).
 * <p>
 * Conventions shared by the subcommands (documented in docs/trace-format.md, "trace commands"):
 * results go to standard output; the summary line (records read, decoded, skipped, ignored) always goes to
 * standard error, so that standard output stays pipeable. Exit codes are those of every command
 * ({@link org.iommuemu.emulator.cli.ExitCodes}): 0 success (also when {@code --skip-bad} skipped records: the
 * summary counts them); 1 the trace is bad or unreadable (the first bad record in the default stop mode, a wrong
 * magic, a line too long, an I/O error): the error names the file, record index, byte offset and reason; 2 the
 * command line is wrong (unknown option or value, missing input file, an output that is the input).
 */
@Command(
    name = "trace",
    header = "Decode, convert, count and generate TLP traces.",
    mixinStandardHelpOptions = true,
    description = {
        "PCIe TLP trace tools: decode, convert, count and generate traces (pcie-tlp pcapng and text, NetTLP pcap " +
            "and QEMU IOMMU trace logs as input).",
        "Results go to stdout, the summary (records read, decoded, skipped) to stderr.",
        "Exit codes: 0 ok (also when --skip-bad skipped records), 1 bad or unreadable trace, 2 bad command line."},
    subcommands = {
        TraceDumpCommand.class, TraceConvertCommand.class, TraceStatsCommand.class, TraceGenCommand.class,
        CommandLine.HelpCommand.class})
public final class TraceCommand implements Runnable
{
    @Spec
    CommandSpec spec;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "missing subcommand: dump, convert, stats or gen");
    }
}
