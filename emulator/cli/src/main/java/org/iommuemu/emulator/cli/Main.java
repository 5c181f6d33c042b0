package org.iommuemu.emulator.cli;

import java.io.PrintWriter;

import org.iommuemu.emulator.cli.offline.TablesCommand;
import org.iommuemu.emulator.cli.offline.TranslateCommand;
import org.iommuemu.emulator.cli.trace.TraceCommand;
import org.iommuemu.emulator.config.BuildVersion;
import org.iommuemu.emulator.config.Printable;
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
        // The one JVM flag that is no export or open (those are in the jar's manifest): Chronicle's usage reporting off.
        if (System.getProperty("chronicle.analytics.disable") == null)
        {
            System.setProperty("chronicle.analytics.disable", "true");
        }
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
        commandLine.setParameterExceptionHandler((ex, args1) ->
        {
            // One line, the command it is about and where to read more; exit code 2 (docs: README, Exit codes).
            final CommandLine cmd = ex.getCommandLine();
            final String name = cmd.getCommandSpec().qualifiedName();
            // Messages may quote the user's text: its control characters are shown escaped (Printable).
            cmd.getErr().println(cmd.getColorScheme().errorText("iommu-emu: " + (name.equals("iommu-emu") ? "" :
                name.substring("iommu-emu ".length()) + ": ") + Printable.controls(lowerFirst(ex.getMessage())) + " (see " + name +
                " --help)"));
            cmd.getErr().flush();
            return ExitCodes.USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            final int code = ExitCodes.of(ex);
            if (code < 0)
            {
                throw ex; // an emulator bug: picocli prints the stack trace, exit code 1
            }
            cmd.getErr().println(cmd.getColorScheme().errorText("iommu-emu: " + Printable.controls(ExitCodes.message(ex))));
            cmd.getErr().flush();
            return code;
        });
        return commandLine.execute(args);
    }

    private static String lowerFirst(final String message)
    {
        return message == null || message.isEmpty() ? "bad command line" :
            Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }

    static final class Version implements CommandLine.IVersionProvider
    {
        public String[] getVersion()
        {
            return new String[] {"iommu-emu " + BuildVersion.current()};
        }
    }
}
