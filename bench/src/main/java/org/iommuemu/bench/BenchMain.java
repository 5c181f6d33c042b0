package org.iommuemu.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.openjdk.jmh.Main;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Entry point of benchmarks.jar: JMH's own command line, plus the project's JVM flags (Agrona and Chronicle
 * need them on Java 17+) appended to every fork, read from the same filtered resource the launcher uses.
 */
public final class BenchMain
{
    private BenchMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final CommandLineOptions commandLine = new CommandLineOptions(args);
        if (commandLine.shouldHelp() || commandLine.shouldList() || commandLine.shouldListWithParams() ||
            commandLine.shouldListProfilers() || commandLine.shouldListResultFormats())
        {
            Main.main(args);
            return;
        }
        final Options options = new OptionsBuilder().parent(commandLine).jvmArgsAppend(jvmFlags()).build();
        new Runner(options).run();
    }

    static String[] jvmFlags() throws IOException
    {
        try (InputStream in = BenchMain.class.getResourceAsStream("/iommu-emu/jvm.flags"))
        {
            if (in == null)
            {
                throw new IllegalStateException("iommu-emu/jvm.flags is missing from the classpath: build with Maven");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split("\\s+");
        }
    }
}
