package org.iommuemu.emulator.offline;

import java.io.PrintWriter;
import java.util.List;

import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * An IOMMU model brought up from captured register values over a memory image, for the offline commands:
 * {@code translate} sends requests through its {@link #port()}, {@code tables} asks it for a dump of its
 * in-memory structures.
 */
public interface OfflineModel
{
    /** Builds a model of one kind; see {@link IommuKind#factory()}. */
    @FunctionalInterface
    interface Factory
    {
        /**
         * Create the model over {@code memory} and apply {@code registers} as a driver's writes would leave them.
         *
         * @throws IllegalArgumentException naming the register value (file:line or option) or the model switch
         *                                  ({@link IommuKind#factory(List)}) that cannot be applied.
         */
        OfflineModel create(PhysicalMemory memory, RegisterValues registers);
    }

    /** Requests go in here. */
    IommuPort port();

    /**
     * Print the translation structures: for every device present (or only {@code requesterId} when it is not -1),
     * its entry and its page-table tree with contiguous leaves coalesced. Corrupt or hostile structures give marked
     * lines ({@code !}), never an exception or an endless dump.
     */
    void dumpTables(PrintWriter out, int requesterId);

    /** Remarks from bringing the model up (register values ignored, defaults assumed), for stderr. */
    List<String> notes();
}
