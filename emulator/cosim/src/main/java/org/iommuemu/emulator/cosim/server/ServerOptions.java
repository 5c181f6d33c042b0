package org.iommuemu.emulator.cosim.server;

import java.nio.file.Path;

import org.iommuemu.emulator.cosim.codec.RemotePortFrameDecoder;

/**
 * How a {@link CosimServer} listens and bounds its sessions (docs/protocol.md 1, 2, 9). The co-simulation settings of
 * each platform (channels, memory, interrupts, time) are the scenario's {@code cosim} section.
 *
 * @param host            the TCP address to listen on (loopback unless asked otherwise); ignored with {@code unixPath}.
 * @param port            the TCP port; 0 for any free one.
 * @param unixPath        a UNIX domain socket path to listen on instead of TCP, or null.
 * @param maxFrame        the largest packet accepted, header included.
 * @param idleSeconds     a session with no packet from its peer for this long is closed; 0: never.
 * @param graceMillis     at shutdown, how long queued requests are still carried out before they are failed.
 * @param memoryTimeoutMillis how long the model waits for the peer's answer to a memory access or an ATS_INV.
 * @param queueHigh       requests queued for a session's model at which the server stops reading from its peer.
 * @param queueLow        ... and at which it reads again.
 * @param maxErrors       error responses after which a session is closed.
 * @param idlePollMicros  how long a session's model thread, idle, keeps polling for the next request (yielding the
 *                        CPU to every other runnable thread) before it sleeps until woken; 0: sleep at once.
 * @param answerWaitMicros how long the network thread, having queued a lone request for a session's model thread
 *                        (a session that cannot answer it inline), waits for the answer, yielding the CPU, to write it
 *                        itself rather than be woken for it; 0: never wait.
 * @param inlineAnswers   whether the network thread may answer an ATS_REQ itself (docs/protocol.md 1): a lone request to
 *                        a session on the scenario's own memory with wire interrupts, or a clean repeat
 *                        ({@code RepeatHits}) in any other session; false: every request goes through the model thread.
 */
public record ServerOptions(String host, int port, Path unixPath, int maxFrame, int idleSeconds, long graceMillis,
    long memoryTimeoutMillis, int queueHigh, int queueLow, int maxErrors, int idlePollMicros,
    int answerWaitMicros, boolean inlineAnswers)
{
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7575;
    public static final int DEFAULT_IDLE_SECONDS = 30 * 60;
    /** Netty's write-buffer water marks: a session stops reading while its peer does not read above the high one. */
    public static final int WRITE_BUFFER_HIGH = 256 * 1024;
    public static final int WRITE_BUFFER_LOW = 128 * 1024;
    /**
     * A single outstanding request comes back within about a round trip of its answer: polling that long saves the
     * idle model thread a wake-up (docs/protocol.md 1, docs/benchmarks.md).
     */
    public static final int DEFAULT_IDLE_POLL_MICROS = 1000;
    /**
     * The model thread answers an IOTLB hit within a few microseconds; a walk that needs the peer sends its READ as
     * soon as it starts, which also ends the wait (docs/protocol.md 1, docs/benchmarks.md).
     */
    public static final int DEFAULT_ANSWER_WAIT_MICROS = 50;
    /** The longest {@link #answerWaitMicros}: the network thread serves every session, so it never waits for long. */
    public static final int MAX_ANSWER_WAIT_MICROS = 1000;

    public ServerOptions
    {
        if (port < 0 || port > 0xFFFF)
        {
            throw new IllegalArgumentException("port " + port + " is not 0-65535");
        }
        if (queueLow < 0 || queueHigh <= queueLow)
        {
            throw new IllegalArgumentException("queue water marks " + queueLow + "/" + queueHigh + " must be 0 <= low < high");
        }
        if (idleSeconds < 0 || graceMillis < 0 || memoryTimeoutMillis <= 0 || maxErrors <= 0)
        {
            throw new IllegalArgumentException("negative or zero time-out or error limit");
        }
        if (idlePollMicros < 0)
        {
            throw new IllegalArgumentException("--idle-poll " + idlePollMicros + ": must be 0 or more microseconds");
        }
        if (answerWaitMicros < 0 || answerWaitMicros > MAX_ANSWER_WAIT_MICROS)
        {
            throw new IllegalArgumentException("--answer-wait " + answerWaitMicros + ": must be 0-" + MAX_ANSWER_WAIT_MICROS +
                " microseconds");
        }
    }

    /**
     * Loopback, port 7575, 64 KiB frames, 30 min idle, 2 s grace, 5 s memory time-out, queue 1024/512, 100 errors, the
     * idle model thread polling 1 ms, the network thread waiting 50 us for a lone request's answer.
     */
    public static ServerOptions defaults()
    {
        return new ServerOptions(DEFAULT_HOST, DEFAULT_PORT, null, RemotePortFrameDecoder.DEFAULT_MAX_FRAME, DEFAULT_IDLE_SECONDS,
            2000, 5000, 1024, 512, 100, DEFAULT_IDLE_POLL_MICROS,
            DEFAULT_ANSWER_WAIT_MICROS, true);
    }

    public ServerOptions withAddress(final String host, final int port)
    {
        return new ServerOptions(host, port, null, maxFrame, idleSeconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withUnixPath(final Path path)
    {
        return new ServerOptions(host, port, path, maxFrame, idleSeconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withIdleSeconds(final int seconds)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, seconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withGraceMillis(final long millis)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, idleSeconds, millis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withMemoryTimeoutMillis(final long millis)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, idleSeconds, graceMillis, millis,
            queueHigh, queueLow, maxErrors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withMaxFrame(final int bytes)
    {
        return new ServerOptions(host, port, unixPath, bytes, idleSeconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withQueue(final int high, final int low)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, idleSeconds, graceMillis, memoryTimeoutMillis,
            high, low, maxErrors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withIdlePollMicros(final int micros)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, idleSeconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, micros, answerWaitMicros, inlineAnswers);
    }

    public ServerOptions withAnswerWaitMicros(final int micros)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, idleSeconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, idlePollMicros, micros, inlineAnswers);
    }

    public ServerOptions withInlineAnswers(final boolean inline)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, idleSeconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, maxErrors, idlePollMicros, answerWaitMicros, inline);
    }

    public ServerOptions withMaxErrors(final int errors)
    {
        return new ServerOptions(host, port, unixPath, maxFrame, idleSeconds, graceMillis, memoryTimeoutMillis,
            queueHigh, queueLow, errors, idlePollMicros, answerWaitMicros, inlineAnswers);
    }
}
