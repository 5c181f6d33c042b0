package org.iommuemu.emulator.cli;

import java.util.concurrent.Callable;

import org.iommuemu.emulator.cosim.load.CosimLoad;
import org.iommuemu.emulator.cosim.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cosim-load}: the co-simulation server's load benchmark on loopback (docs/benchmarks.md). */
@Command(
    name = "cosim-load",
    header = "Measure the co-simulation server under load.",
    mixinStandardHelpOptions = true,
    description = {
        "Measure the co-simulation server on loopback, server and client in this process: pipelined translations with",
        "IOTLB hits, the round trip of one outstanding request, and translations with IOTLB misses over remote and",
        "shared guest memory. Every answer is checked. Run it on a quiet machine."})
final class CosimLoadCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--pipelined", paramLabel = "N", description = "Pipelined translations with IOTLB hits. Default 1000000.")
    long pipelined = 1_000_000;

    @Option(names = "--window", paramLabel = "N", description = "Requests outstanding at once when pipelined. Default 256.")
    int window = 256;

    @Option(names = "--single", paramLabel = "N", description = "Round trips with one request outstanding. Default 20000.")
    long single = 20_000;

    @Option(names = "--misses", paramLabel = "N", description = "Translations with IOTLB misses, per memory backing. Default 100000.")
    long misses = 100_000;

    @Option(names = "--idle-poll", paramLabel = "US",
        description = "The servers' idle model-thread poll, as serve --idle-poll. Default 1000.")
    int idlePoll = ServerOptions.DEFAULT_IDLE_POLL_MICROS;

    @Option(names = "--answer-wait", paramLabel = "US",
        description = "The servers' wait for a lone request's answer, as serve --answer-wait. Default 50.")
    int answerWait = ServerOptions.DEFAULT_ANSWER_WAIT_MICROS;

    @Option(names = "--inline-answers", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "As serve --[no-]inline-answers. Default on.")
    boolean inlineAnswers;

    @Option(names = "--sessions", paramLabel = "N", description = "Also measure N guest-memory sessions at once, each from " +
        "a blocking-socket peer with one request outstanding (round trips per second and percentiles). Default 0: not measured.")
    int sessions;

    public Integer call() throws Exception
    {
        if (pipelined <= 0 || window <= 0 || single <= 0 || misses <= 0 || sessions < 0)
        {
            throw new IllegalArgumentException("counts and the window must be positive (--sessions 0 or more)");
        }
        final ServerOptions options = ServerOptions.defaults().withIdlePollMicros(idlePoll)
            .withAnswerWaitMicros(answerWait).withInlineAnswers(inlineAnswers);
        new CosimLoad(spec.commandLine().getOut(), pipelined, window, single, misses, options, sessions).run();
        return 0;
    }
}
