package org.iommuemu.emulator.cli.trace;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest
{
    @Test
    void drawsOnEveryCheckpointWhenDueAndErasesAtTheEnd()
    {
        final StringWriter err = new StringWriter();
        final Progress progress = new Progress(new PrintWriter(err), true, "trace stats", 1000, 0);
        progress.tick(1, 10);
        assertEquals("", err.toString(), "only every 16384 records");
        progress.tick(16384, 500);
        assertTrue(err.toString().startsWith("\rtrace stats: 16384 records, 50%, ETA "), err.toString());
        final int drawn = err.toString().length() - 1;
        progress.done();
        assertTrue(err.toString().endsWith("\r" + " ".repeat(drawn) + "\r"), "the whole line erased: " + err);
    }

    @Test
    void estimatedTimeLeftInWords()
    {
        assertEquals("0s", StatusLine.duration(0.2));
        assertEquals("42s", StatusLine.duration(42));
        assertEquals("3m05s", StatusLine.duration(185));
        assertEquals("1h02m", StatusLine.duration(3725));
    }

    @Test
    void disabledOrNotDueDrawsNothing()
    {
        final StringWriter err = new StringWriter();
        final Progress off = new Progress(new PrintWriter(err), false, "x", 1000, 0);
        off.tick(16384, 1);
        off.done();
        final Progress notDue = new Progress(new PrintWriter(err), true, "x", 1000, 60_000_000_000L);
        notDue.tick(16384, 1);
        notDue.done();
        assertEquals("", err.toString());
    }
}
