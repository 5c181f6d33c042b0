package org.iommuemu.emulator.timing;

import java.util.List;
import java.util.Locale;

/**
 * The limits of one device's DMA engine and of its PCIe link, which make a replay closed-loop: a device has a
 * limited number of requests in flight, and a request that waits for its translation keeps its place, so slow
 * translations slow the device down (docs/timing.md, "The device"). Physical units (nanoseconds, Gb/s, bytes);
 * the timing model converts them to IOMMU cycles with the profile's clock.
 * <p>
 * Scenarios name a preset ({@link #preset}) or give the values (docs/scenarios.md, {@code devices: dma:}).
 *
 * @param linkGbps              the PCIe link's data rate per direction, Gb/s, after the line encoding: GT/s x
 *                              128/130 x lanes for Gen3 to Gen5 (pcie-bench/pcie-model {@code model/pcie.py}).
 *                              Every TLP occupies it for its bytes plus {@link #REQUEST_OVERHEAD_BYTES} or
 *                              {@link #COMPLETION_OVERHEAD_BYTES}; 0 for no limit. The link's flow-control and
 *                              acknowledgement packets (a few percent) are not modelled.
 * @param maxPayload            Max_Payload_Size: a read's data comes back in completions of at most this many bytes.
 * @param outstandingReads      non-posted requests (reads, atomics, ATS translation requests) in flight: the
 *                              requester's tags. A read holds its tag until its last completion has arrived (the
 *                              host's read latency is the profile's {@code memory.dma-read-latency}); 0 for no limit.
 * @param completionBufferBytes bytes of read data the device can have requested and not yet received (its
 *                              completion buffer); 0 for no limit besides the tags.
 * @param postedCredits         posted requests (writes) in flight: the posted header credits the root port
 *                              advertises. A write holds its credit until the IOMMU has translated it and the
 *                              root port has passed it on; 0 for no limit.
 * @param requestIntervalNs     the DMA engine's minimum spacing of two requests; 0 for none.
 * @param engineGbps            the DMA engine's internal data rate (each request also takes its bytes at this
 *                              rate before the next may start); 0 for no limit besides the link.
 */
public record DeviceDmaParameters(double linkGbps, int maxPayload, int outstandingReads, int completionBufferBytes,
    int postedCredits, double requestIntervalNs, double engineGbps)
{
    /**
     * Link-layer bytes of a memory request with a 64-bit address besides its payload: 8 of framing, sequence number
     * and LCRC, a 4-byte TLP header and 12 bytes of address and request fields (pcie-bench/pcie-model
     * {@code model/pcie.py}: {@code DLLP_Hdr + TLP_Hdr + TLP_MWr_64_Hdr}). A translation request, an invalidation
     * request and its completion message are counted the same way (assumption).
     */
    public static final int REQUEST_OVERHEAD_BYTES = 24;
    /** Link-layer bytes of a completion besides its data: {@code DLLP_Hdr + TLP_Hdr + TLP_CplD_Hdr} = 8 + 4 + 8. */
    public static final int COMPLETION_OVERHEAD_BYTES = 20;
    /** Data of a Translation Completion for one translation (an 8-byte entry, tlp-trace-cosim.md). */
    public static final int TRANSLATION_COMPLETION_BYTES = 8;
    /** Data of an ATS Invalidate Request message (an 8-byte address and size field). */
    public static final int INVALIDATE_REQUEST_BYTES = 8;
    /** Granule of the completion buffer: the 64-byte Read Completion Boundary of a root complex. */
    public static final int COMPLETION_UNIT_BYTES = 64;

    /**
     * 256 non-posted requests in flight: what an 8-bit Tag field allows one requester (10-bit tags allow more:
     * Intel's R-Tile PCIe IP documents up to 768 outstanding non-posted requests with them).
     */
    public static final int EIGHT_BIT_TAGS = 256;
    /**
     * 32 posted header credits: the reset value of the posted header credit limit of a PCIe controller that
     * documents it (Efinix PCIe controller, Receive Credit Limit Register 0, PHC = 0x20). Root ports of server
     * CPUs do not publish theirs (UNVERIFIED for any particular host).
     */
    public static final int DEFAULT_POSTED_CREDITS = 32;
    /** Max_Payload_Size of 256 bytes, the common server setting (the trace generator's default too). */
    public static final int DEFAULT_MAX_PAYLOAD = 256;

    /**
     * A 200 Gb/s NIC on PCIe Gen4 x16 (the ConnectX-6 class: 200 Gb/s needs a Gen4 x16 slot, NVIDIA's ConnectX-6
     * user manual): 16 GT/s x 128/130 x 16 = 252 Gb/s per direction, 8-bit tags, the default posted credits; no
     * engine limit besides the link (none published).
     */
    public static final DeviceDmaParameters NIC_200G = new DeviceDmaParameters(gbps(16, 16), DEFAULT_MAX_PAYLOAD,
        EIGHT_BIT_TAGS, 0, DEFAULT_POSTED_CREDITS, 0, 0);
    /** An NVMe drive on PCIe Gen4 x4: 63 Gb/s per direction, 8-bit tags, the default credits; no engine limit. */
    public static final DeviceDmaParameters NVME_GEN4 = new DeviceDmaParameters(gbps(16, 4), DEFAULT_MAX_PAYLOAD,
        EIGHT_BIT_TAGS, 0, DEFAULT_POSTED_CREDITS, 0, 0);
    /**
     * pcie-bench's device, a Netronome NFP-6000 on PCIe Gen3 x8 (63 Gb/s per direction): its DMA engine's limits
     * were fitted by {@code calibrate --fit} to the curves measured without an IOMMU (docs/timing.md).
     */
    public static final DeviceDmaParameters PCIE_BENCH_NFP6000 = new DeviceDmaParameters(gbps(8, 8), DEFAULT_MAX_PAYLOAD,
        96, 0, DEFAULT_POSTED_CREDITS, 12, 68);
    /** A device without limits: every request leaves at its trace timestamp (an open-loop replay). */
    public static final DeviceDmaParameters UNLIMITED = new DeviceDmaParameters(0, DEFAULT_MAX_PAYLOAD, 0, 0, 0, 0, 0);

    /** The preset a device without a {@code dma:} entry gets. */
    public static final DeviceDmaParameters DEFAULT = NIC_200G;

    /** Preset names, for scenarios. */
    public static final List<String> PRESETS = List.of("nic-200g", "nvme-gen4", "pcie-bench-nfp6000", "unlimited");

    public DeviceDmaParameters
    {
        nonNegative("link-gbps", linkGbps);
        if (maxPayload < 128 || maxPayload > 4096 || Integer.bitCount(maxPayload) != 1)
        {
            throw new ParameterException("max-payload", "must be a power of two from 128 to 4096, not " + maxPayload);
        }
        Ranges.nonNegative("outstanding-reads", outstandingReads);
        Ranges.nonNegative("completion-buffer-bytes", completionBufferBytes);
        Ranges.nonNegative("posted-credits", postedCredits);
        nonNegative("request-interval-ns", requestIntervalNs);
        nonNegative("engine-gbps", engineGbps);
        if (completionBufferBytes != 0 && completionBufferBytes < 4096)
        {
            throw new ParameterException("completion-buffer-bytes", "must hold one 4 KiB read (or be 0 for no limit), not " +
                completionBufferBytes);
        }
    }

    /** A preset by name ({@link #PRESETS}). */
    public static DeviceDmaParameters preset(final String name)
    {
        switch (name.toLowerCase(Locale.ROOT))
        {
            case "nic-200g":
                return NIC_200G;
            case "nvme-gen4":
                return NVME_GEN4;
            case "pcie-bench-nfp6000":
                return PCIE_BENCH_NFP6000;
            case "unlimited":
                return UNLIMITED;
            default:
                throw new ParameterException("dma", "unknown preset '" + name + "'; presets: " + PRESETS);
        }
    }

    /**
     * The data rate of a PCIe link per direction in Gb/s: {@code gtPerSecond} (2.5, 5, 8, 16, 32) times the line
     * encoding (8b/10b up to 5 GT/s, 128b/130b above) times {@code lanes}.
     */
    public static double gbps(final double gtPerSecond, final int lanes)
    {
        return gtPerSecond * (gtPerSecond <= 5 ? 8.0 / 10.0 : 128.0 / 130.0) * lanes;
    }

    /** The same limits with another link rate. */
    public DeviceDmaParameters withLinkGbps(final double value)
    {
        return new DeviceDmaParameters(value, maxPayload, outstandingReads, completionBufferBytes, postedCredits,
            requestIntervalNs, engineGbps);
    }

    /** Whether the device limits nothing at all (every count and rate unlimited). */
    public boolean unlimited()
    {
        return linkGbps == 0 && outstandingReads == 0 && postedCredits == 0 && requestIntervalNs == 0 && engineGbps == 0;
    }

    private static void nonNegative(final String field, final double value)
    {
        if (!(value >= 0) || Double.isInfinite(value))
        {
            throw new ParameterException(field, "must be a finite number, 0 or more, not " + value);
        }
    }
}
