package org.iommuemu.emulator.platform;

/**
 * Hears the MSIs an IOMMU model sends (co-simulation forwards them to the peer). Called on the thread that drives the
 * model, after the register write or the request that caused the interrupt has been carried out, with the MSI
 * address and data the model's registers hold at that moment. The models count their interrupts whether or not a
 * listener is attached.
 */
@FunctionalInterface
public interface InterruptListener
{
    /** A listener that ignores every interrupt. */
    InterruptListener NONE = (source, address, data) ->
    {
    };

    /**
     * @param address the MSI address (high and low halves joined).
     * @param data    the MSI data.
     */
    void onInterrupt(InterruptSource source, long address, int data);
}
