package org.iommuemu.emulator.cli;

import java.io.PrintWriter;

import org.iommuemu.emulator.cli.offline.TablesCommand;
import org.iommuemu.emulator.cli.offline.TranslateCommand;
import org.iommuemu.emulator.cli.trace.TraceCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code iommu-emu} command line. */
@Command(
    name = "iommu-emu",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Cycle-approximate emulator of the AMD-Vi and VT-d IOMMUs, the SEV-SNP RMP and TDX Secure EPT.",
    subcommands = {DemoCommand.class, ReplayCommand.class, CompareCommand.class, CalibrateCommand.class, WalkCommand.class,
        TraceCommand.class, TranslateCommand.class, TablesCommand.class, ServeCommand.class, ClientCommand.class,
        CosimLoadCommand.class, CommandLine.HelpCommand.class})
public final class Main
{
    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /** Run without exiting, printing to the standard streams. */
    public static int run(final String... args)
    {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Run without exiting, printing to the given writers (tests capture output this way). */
    public static int run(final PrintWriter out, final PrintWriter err, final String... args)
    {
        final CommandLine commandLine = new CommandLine(new Main());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            final int code = ExitCodes.of(ex);
            if (code < 0)
            {
                throw ex; // an emulator bug: picocli prints the stack trace, exit code 1
            }
            cmd.getErr().println(cmd.getColorScheme().errorText("iommu-emu: " + ExitCodes.message(ex)));
            cmd.getErr().flush();
            return code;
        });
        return commandLine.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider
    {
        public String[] getVersion()
        {
            final String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"iommu-emu " + (version == null ? "development build" : version)};
        }
    }
}
