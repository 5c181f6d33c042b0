package org.iommuemu.emulator.platform;

import java.util.List;

import org.iommuemu.emulator.cache.TranslationCache;

/**
 * What every IOMMU model offers the rest of the emulator (replay, the offline translator, co-simulation): one
 * request in, one outcome out. The model routes by {@link DmaRequest#addressType()} (translate, answer an ATS
 * translation request, or check a translated request) and by the T bit where the platform has a trusted path;
 * faults are values in the outcome, logged to the model's event log or fault recording registers as the
 * hardware would. Implementations allocate nothing and throw nothing per request.
 */
public interface IommuPort
{
    /**
     * Handle one request.
     *
     * @return {@link RequestOutcome#isOk()}.
     */
    boolean handle(DmaRequest request, RequestOutcome outcome);

    /** A short name for summaries ("amdvi", "vtd"). */
    String name();

    /** The model's caches, for statistics (hit rates per cache). */
    List<TranslationCache> caches();

    /** A software MMIO read of the register block. */
    long readRegister(int offset, int width);

    /** A software MMIO write to the register block. */
    void writeRegister(int offset, int width, long value);

    /** Bytes of the register block (accesses must stay inside it). */
    int registerBlockSize();

    /**
     * The width (4 or 8) of the register at {@code offset}, 0 where none is defined: an 8-byte access to two 4-byte
     * registers (or to reserved space) is made as two 4-byte accesses by callers that take accesses from a bus.
     */
    int registerWidth(int offset);

    /**
     * A message from a device (a PRI Page Request, an ATS Invalidate Completion). Default: not handled (a model
     * without page requests or device-TLB invalidation tracking). Allocates nothing.
     */
    default MessageResult message(final DeviceMessage message)
    {
        return MessageResult.NOT_HANDLED;
    }

    /**
     * An Invalidate Request a trace shows the host sending to a device (a downstream message the model did not send
     * itself): the model treats ITag {@code itag} of device {@code requesterId} as outstanding, so the device's
     * completion is matched. Default: nothing.
     */
    default void invalidateRequestSeen(final int requesterId, final int itag)
    {
    }

    /** Where the messages the IOMMU sends to devices go (ATS Invalidate Requests, Page Group Responses). */
    default void messageListener(final DeviceMessageListener listener)
    {
    }
}
