package org.iommuemu.emulator.cosim.server;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.client.GuestMemory;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;

/**
 * A server on a loopback port (any free one) for one scenario, with its log and each ended session's statistics kept
 * for the test to read; and clients that play QEMU against it.
 */
public final class Loopback implements AutoCloseable
{
    public final List<String> log = new CopyOnWriteArrayList<>();
    public final List<String> statistics = new CopyOnWriteArrayList<>();
    /** Each ended session's statistics as JSON (kind cosim_session), added just before its text. */
    public final List<ObjectNode> json = new CopyOnWriteArrayList<>();
    public final CosimServer server;
    public final String address;

    public Loopback(final Scenario scenario, final ServerOptions options) throws Exception
    {
        server = new CosimServer(scenario, options.unixPath() == null ? options.withAddress("127.0.0.1", 0) : options, log::add,
            statistics::add);
        server.jsonStatistics(json::add);
        address = server.start();
    }

    public Loopback(final String yaml) throws Exception
    {
        this(scenario(yaml), ServerOptions.defaults());
    }

    public static Scenario scenario(final String yaml)
    {
        return ScenarioReader.parse(new StringReader(yaml), "test.yaml", Path.of("."));
    }

    public CosimClient client(final GuestMemory memory) throws Exception
    {
        final CosimClient.Options options = new CosimClient.Options();
        options.memory = memory;
        return CosimClient.connect(address, options);
    }

    public CosimClient client(final CosimClient.Options options) throws Exception
    {
        return CosimClient.connect(address, options);
    }

    /** Wait until a log line contains {@code text} (the server logs from its threads). */
    public String awaitLog(final String text) throws InterruptedException
    {
        final long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end)
        {
            for (final String line : log)
            {
                if (line.contains(text))
                {
                    return line;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no log line with '" + text + "' in " + log);
    }

    /** Wait until {@code n} sessions have ended and printed their statistics. */
    public void awaitEnded(final int n) throws InterruptedException
    {
        final long end = System.nanoTime() + 10_000_000_000L;
        while (statistics.size() < n && System.nanoTime() < end)
        {
            Thread.sleep(5);
        }
        if (statistics.size() < n)
        {
            throw new AssertionError(statistics.size() + " of " + n + " sessions ended; log " + log);
        }
    }

    @Override
    public void close()
    {
        server.close();
    }
}
