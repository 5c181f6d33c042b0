package org.iommuemu.emulator.replay;

import java.io.Closeable;
import java.io.IOException;

/** Receives every TLP's result in trace order. */
@FunctionalInterface
public interface ResultSink extends Closeable
{
    /** A sink that keeps nothing. */
    ResultSink NONE = new ResultSink()
    {
        public void accept(final ReplayRecord record)
        {
        }
    };

    void accept(ReplayRecord record) throws IOException;

    @Override
    default void close() throws IOException
    {
    }
}
