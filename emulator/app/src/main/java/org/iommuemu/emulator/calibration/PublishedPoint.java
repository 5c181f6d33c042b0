package org.iommuemu.emulator.calibration;

import java.util.Locale;

import org.iommuemu.emulator.replay.Summary;

/**
 * One published measurement the calibration reproduces, with where it was published.
 *
 * @param system the measured system ({@link MeasuredSystem#name()}).
 * @param iommu  no IOMMU, or the IOMMU with 4 KiB or 2 MiB pages.
 * @param test   what was measured.
 * @param bytes  the size of each DMA (the packet size of {@link Test#NIC_RX}).
 * @param window the bytes of host memory the DMAs were spread over.
 * @param value  the published number, in {@link Test#unit()}.
 * @param source the figure, table or data file it comes from.
 */
public record PublishedPoint(String system, Mode iommu, Test test, int bytes, long window, double value, String source)
{
    /** The IOMMU setting of a measurement. */
    public enum Mode
    {
        OFF("off"),
        PAGES_4K("4k"),
        PAGES_2M("2m");

        private final String label;

        Mode(final String label)
        {
            this.label = label;
        }

        public String label()
        {
            return label;
        }

        static Mode parse(final String text)
        {
            for (final Mode mode : values())
            {
                if (mode.label.equals(text))
                {
                    return mode;
                }
            }
            throw new IllegalArgumentException("unknown IOMMU mode '" + text + "' (off, 4k, 2m)");
        }
    }

    /** What a measurement measured. */
    public enum Test
    {
        /** pcie-bench DMA read throughput (bw_dma_win_sweep_rd_rnd), Gb/s. */
        READ("rd", "Gb/s"),
        /** pcie-bench DMA write throughput (bw_dma_win_sweep_wr_rnd), Gb/s. */
        WRITE("wr", "Gb/s"),
        /** pcie-bench mean latency of one 64-byte DMA read at a time (lat_dma_sweep_rd_rnd_64), ns. */
        LATENCY("lat", "ns"),
        /** A NIC receiving at 200 Gb/s line rate: throughput with the IOMMU over throughput without it. */
        NIC_RX("nic-rx", "x");

        private final String label;
        private final String unit;

        Test(final String label, final String unit)
        {
            this.label = label;
            this.unit = unit;
        }

        public String label()
        {
            return label;
        }

        public String unit()
        {
            return unit;
        }

        static Test parse(final String text)
        {
            for (final Test test : values())
            {
                if (test.label.equals(text))
                {
                    return test;
                }
            }
            throw new IllegalArgumentException("unknown test '" + text + "' (rd, wr, lat, nic-rx)");
        }
    }

    /** A short description: "rd 64 B, 4k pages, 1.00 MiB". */
    public String label()
    {
        final String mode = iommu == Mode.OFF ? "no IOMMU" : iommu.label() + " pages";
        if (test == Test.NIC_RX)
        {
            return String.format(Locale.ROOT, "NIC RX %d B at 200 Gb/s, %s, on/off", bytes, mode);
        }
        return String.format(Locale.ROOT, "%s %d B, %s, %s", test.label(), bytes, mode, Summary.bytes(window));
    }

    /** The number with its unit. */
    public String format(final double number)
    {
        switch (test)
        {
            case LATENCY:
                return String.format(Locale.ROOT, "%.0f ns", number);
            case NIC_RX:
                return String.format(Locale.ROOT, "%.2f", number);
            default:
                return String.format(Locale.ROOT, "%.1f Gb/s", number);
        }
    }
}
